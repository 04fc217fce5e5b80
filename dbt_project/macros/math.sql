{# numerator / denominator as a double, null when the denominator is zero or null: ratios never divide by zero. #}
{% macro safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(({{ numerator }}) as {{ type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}

{# A double-precision float type (dbt.type_float() is a 4-byte REAL on DuckDB). #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

{# A date plus a number of days, as a date (dbt.dateadd returns a timestamp on some adapters). #}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{# A boolean as 0/1, to count true rows with sum(). #}
{% macro bool_to_int(expression) -%}
    case when {{ expression }} then 1 else 0 end
{%- endmacro %}

{# A double rounded to `digits` decimals, as a double (PostgreSQL rounds only numeric to a number of digits). #}
{% macro round_double(expression, digits) -%}
    {{ return(adapter.dispatch('round_double')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_double(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as {{ type_double() }})
{%- endmacro %}
