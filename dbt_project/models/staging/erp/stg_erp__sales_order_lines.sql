{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['order_id', 'line_no'],
    on_schema_change='fail',
    post_hook="{{ delete_tombstoned_rows(source('erp', 'sales_orders'), ['order_id', 'line_no']) }}"
) }}
{#
    Quantities converted to the base unit (unit_factor = base units per document unit); prices per base unit.
    The one staging model kept as a table, and incremental: sales order lines are by far the largest
    extract, and half the warehouse reads this model, so the current-version pick (latest_rows) runs once,
    and after that only over new loads (a newer version of a line replaces the stored one; a line a
    re-export deleted, whose latest version is a tombstone, is deleted by the post-hook).
#}
with source as (
    {% if is_incremental() -%}
    {{ latest_rows(
        '(select * from ' ~ source('erp', 'sales_orders')
        ~ ' where _load_id > (select coalesce(max(_load_id), 0) from ' ~ this ~ '))',
        ['order_id', 'line_no']
    ) }}
    {%- else -%}
    {{ latest_rows(source('erp', 'sales_orders'), ['order_id', 'line_no']) }}
    {%- endif %}
),

renamed as (
    select
        order_id,
        line_no,
        order_date,
        sku,
        warehouse_id,
        customer_id,
        customer_name,
        ordered_qty * coalesce(unit_factor, 1) as ordered_qty,
        shipped_qty * coalesce(unit_factor, 1) as shipped_qty,
        ship_date,
        requested_date,
        unit_price / coalesce(nullif(unit_factor, 0), 1) as unit_price,
        unit_cost / coalesce(nullif(unit_factor, 0), 1) as unit_cost,
        upper(coalesce(currency, '{{ var("base_currency") }}')) as currency,
        coalesce(unit_factor, 1) as unit_factor,
        coalesce(line_status, case when shipped_qty >= ordered_qty then 'closed' else 'open' end)
            as line_status,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
