{#
    Fault injection (pipelines/operations/failpoints.py): when STOCKFLOW_FAILPOINT holds
    `dbt_fail:<this model's name>`, building the model raises an error, as a model that cannot take its
    data would; dbt then skips what depends on it and builds the rest. A pre-hook on every model that
    renders to nothing otherwise (dbt runs no empty hook).
#}
{% macro stockflow_failpoint() -%}
    {%- if execute -%}
        {%- set points = env_var('STOCKFLOW_FAILPOINT', '').split(',') | map('trim') | list -%}
        {%- if ('dbt_fail:' ~ model.name) in points -%}
            {{ exceptions.raise_compiler_error('failpoint dbt_fail:' ~ model.name ~ ' (STOCKFLOW_FAILPOINT): this model fails on purpose') }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
