{#
    Incremental builds of the daily facts (int_stock_daily_rollforward, fct_daily_stock,
    fct_sku_daily_demand): each run rebuilds every series from one date, rebuild_from, to the last data
    date, and keeps the rows before it. rebuild_from is the earliest of
      - the day after the last date already built (new days of extracts), and
      - every date touched by an extract row loaded since the table was last built: the rows of the new
        loads and the earlier versions of the same natural keys they supersede (a correction that moves
        a shipment from the 3rd to the 9th changes both days), across sales orders, receipts, stock
        movements, snapshots, promotions and FX rates, and, for an item whose master data changed
        (launch, discontinuation, status, cost, currency), the first day of that SKU's history.
    "Since the table was last built" is the highest raw _load_id its rows were built from
    (built_from_load_id). A model whose SQL or dbt vars changed needs `--full-refresh`
    (`stockflow run --full-refresh`).

    These macros read the raw sources directly (the only place outside staging that does): the staging
    views keep the current version of each row, and the versions a load superseded are what matters here.
#}

{% macro incremental_watermark() -%}
    (select coalesce(max(built_from_load_id), 0) from {{ this }})
{%- endmacro %}

{# The highest load id of the extracts the daily facts read: stored on each rebuilt row. #}
{% macro current_load_id() -%}
    (select max(load_id) from (
        {%- for table in ['sales_orders', 'receipts', 'stock_movements', 'stock_snapshots', 'promotions',
                          'fx_rates', 'items'] %}
        select max(_load_id) as load_id from {{ source('erp', table) }}
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as loads)
{%- endmacro %}

{# Earliest date among all versions of the natural keys that a load after the watermark touched. #}
{% macro _changed_keys_min_date(table, key_columns, date_expression) -%}
    select min({{ date_expression }}) as changed_date
    from {{ source('erp', table) }} as versions
    where exists (
        select 1
        from {{ source('erp', table) }} as changed
        where changed._load_id > {{ incremental_watermark() }}
        {%- for column in key_columns %}
            and changed.{{ column }} = versions.{{ column }}
        {%- endfor %}
    )
{%- endmacro %}

{#
    The first date to rebuild, as a scalar subquery. Only called inside `if is_incremental()`.
#}
{% macro incremental_rebuild_from() -%}
    (select min(changed_date) from (
        select {{ dbt.dateadd('day', 1, 'max(date_day)') }} as changed_date from {{ this }}
        union all
        {{ _changed_keys_min_date('sales_orders', ['order_id', 'line_no'],
                                  'least(order_date, coalesce(ship_date, order_date))') }}
        union all
        {{ _changed_keys_min_date('receipts', ['receipt_id', 'line_no'], 'receipt_date') }}
        union all
        {{ _changed_keys_min_date('stock_movements', ['movement_id', 'line_no'], 'movement_date') }}
        union all
        {{ _changed_keys_min_date('stock_snapshots', ['snapshot_date', 'sku', 'warehouse_id'], 'snapshot_date') }}
        union all
        {{ _changed_keys_min_date('promotions', ['promo_id', 'sku', 'warehouse_id'], 'start_date') }}
        union all
        {{ _changed_keys_min_date('fx_rates', ['rate_date', 'currency'], 'rate_date') }}
        union all
        select min(built.date_day)
        from {{ this }} as built
        where built.sku in (
            select new_items.sku
            from {{ source('erp', 'items') }} as new_items
            left join (
                {{ latest_rows('(select * from ' ~ source('erp', 'items') ~ ' where _load_id <= '
                                ~ incremental_watermark() ~ ')', ['sku']) }}
            ) as old_items
                on new_items.sku = old_items.sku
            where new_items._load_id > {{ incremental_watermark() }}
                and (
                    old_items.sku is null
                    or new_items.launch_date is distinct from old_items.launch_date
                    or new_items.discontinued_date is distinct from old_items.discontinued_date
                    or new_items.status is distinct from old_items.status
                    or new_items.unit_cost is distinct from old_items.unit_cost
                    or new_items.currency is distinct from old_items.currency
                )
        )
    ) as changes)
{%- endmacro %}

{#
    Data tests on an incremental daily fact check the rows its last build wrote (the highest
    built_from_load_id), not five years of history again: the rows kept were tested when they were
    built, and a rebuilt day cannot collide with a kept one (they are different days). After a full
    refresh every row carries the highest id, so everything is tested. Overrides dbt's macro of the same
    name (which applies a test's `where` config); tables without built_from_load_id are untouched.
#}
{% macro get_where_subquery(relation) -%}
    {%- set filtered = adapter.dispatch('get_where_subquery', 'dbt')(relation) -%}
    {%- if execute and config.get('where') is none and relation.identifier is defined
            and relation.identifier in ['int_stock_daily_rollforward', 'fct_daily_stock', 'fct_sku_daily_demand'] -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'built_from_load_id' in columns -%}
            {%- do return('(select * from ' ~ relation ~ ' where built_from_load_id = (select max(built_from_load_id) from '
                          ~ relation ~ ')) dbt_subquery') -%}
        {%- endif -%}
    {%- endif -%}
    {%- do return(filtered) -%}
{%- endmacro %}
