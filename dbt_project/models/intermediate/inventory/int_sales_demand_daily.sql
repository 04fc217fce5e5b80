{#
    Demand per SKU x warehouse x order day: units ordered on lines that were not cancelled (open or
    closed; short-closed lines count in full, they are demand that was not met), and their value at the
    selling price in the base currency. Sparse: only days with orders.
    Incremental by order date (macros/incremental.sql), a table rather than a view: fct_sku_daily_demand,
    fct_dead_stock and a data test read it. A run rebuilds the days from the earliest date a new load
    of sales orders or FX rates touches.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='order_date',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set rebuild_from = incremental_rebuild_from('order_date', raw_changes=['sales_orders', 'fx_rates']) %}
{%- endif %}
with sales_order_lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
    {% if is_incremental() %}where order_date >= {{ rebuild_from }}{% endif %}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

final as (
    select
        sales_order_lines.sku,
        sales_order_lines.warehouse_id,
        sales_order_lines.order_date,
        sum(sales_order_lines.ordered_qty) as ordered_qty,
        count(*) as order_line_count,
        sum(case when sales_order_lines.unit_price is not null then sales_order_lines.ordered_qty else 0 end)
            as priced_ordered_qty,
        sum(sales_order_lines.ordered_qty * sales_order_lines.unit_price * fx_rates.rate) as ordered_value,
        {{ current_load_id() }} as built_from_load_id
    from sales_order_lines
    left join fx_rates
        on sales_order_lines.currency = fx_rates.currency
        and sales_order_lines.order_date = fx_rates.rate_date
    where sales_order_lines.line_status <> 'cancelled'
    group by sales_order_lines.sku, sales_order_lines.warehouse_id, sales_order_lines.order_date
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
