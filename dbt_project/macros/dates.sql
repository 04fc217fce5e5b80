{# ISO day of week, 1 = Monday ... 7 = Sunday. DuckDB's isodow; other adapters through dispatch. #}
{% macro day_of_week(column) -%}
    {{ return(adapter.dispatch('day_of_week')(column)) }}
{%- endmacro %}

{% macro default__day_of_week(column) -%}
    extract(isodow from {{ column }})
{%- endmacro %}

{% macro spark__day_of_week(column) -%}
    (((dayofweek({{ column }}) + 5) % 7) + 1)
{%- endmacro %}

{% macro snowflake__day_of_week(column) -%}
    dayofweekiso({{ column }})
{%- endmacro %}
