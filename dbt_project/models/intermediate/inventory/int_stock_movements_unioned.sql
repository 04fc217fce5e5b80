{#
    The stock ledger: every line that changes on-hand stock, one row per source document line, with a
    signed quantity in base units (+ into the warehouse, - out of it) and a movement_class.
    Purchase receipts and sales shipments come from their own extracts; everything else from
    stg_erp__stock_movements. Costs are converted to the base currency at the day's rate.
    Incremental by movement date (macros/incremental.sql), a table rather than a view: the roll-forward,
    the FIFO layers, fct_dead_stock and six data tests read it. A run rebuilds the days from the earliest
    date a new load of receipts, sales orders, stock movements or FX rates touches.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='movement_date',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set rebuild_from = incremental_rebuild_from(
    'movement_date', raw_changes=['sales_orders', 'receipts', 'stock_movements', 'fx_rates']) %}
{%- endif %}
with receipts as (
    select * from {{ ref('stg_erp__receipts') }}
    {% if is_incremental() %}where receipt_date >= {{ rebuild_from }}{% endif %}
),

sales_order_lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
    {% if is_incremental() %}where coalesce(ship_date, order_date) >= {{ rebuild_from }}{% endif %}
),

stock_movements as (
    select * from {{ ref('stg_erp__stock_movements') }}
    {% if is_incremental() %}where movement_date >= {{ rebuild_from }}{% endif %}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

receipt_lines as (
    select
        receipts.sku,
        receipts.warehouse_id,
        receipts.receipt_date as movement_date,
        'receipt' as movement_class,
        receipts.received_qty as qty,
        receipts.unit_cost * fx_rates.rate as unit_cost,
        'receipts' as source_kind,
        receipts.receipt_id as source_document_id,
        receipts.line_no as source_line_no,
        cast(null as {{ dbt.type_string() }}) as counterpart_warehouse_id
    from receipts
    left join fx_rates
        on receipts.currency = fx_rates.currency
        and receipts.receipt_date = fx_rates.rate_date
    where receipts.received_qty <> 0
),

shipment_lines as (
    -- unknown shipped_qty counts as nothing shipped; a shipment without a ship date left on the order date
    select
        sales_order_lines.sku,
        sales_order_lines.warehouse_id,
        coalesce(sales_order_lines.ship_date, sales_order_lines.order_date) as movement_date,
        'shipment' as movement_class,
        -sales_order_lines.shipped_qty as qty,
        sales_order_lines.unit_cost * fx_rates.rate as unit_cost,
        'sales_order_lines' as source_kind,
        sales_order_lines.order_id as source_document_id,
        sales_order_lines.line_no as source_line_no,
        cast(null as {{ dbt.type_string() }}) as counterpart_warehouse_id
    from sales_order_lines
    left join fx_rates
        on sales_order_lines.currency = fx_rates.currency
        and coalesce(sales_order_lines.ship_date, sales_order_lines.order_date) = fx_rates.rate_date
    where coalesce(sales_order_lines.shipped_qty, 0) <> 0
),

other_lines as (
    select
        sku,
        warehouse_id,
        movement_date,
        movement_type as movement_class,
        qty,
        unit_cost,
        'stock_movements' as source_kind,
        movement_id as source_document_id,
        line_no as source_line_no,
        counterpart_warehouse_id
    from stock_movements
    where qty <> 0
),

unioned as (
    select * from receipt_lines
    union all
    select * from shipment_lines
    union all
    select * from other_lines
),

final as (
    select unioned.*, {{ current_load_id() }} as built_from_load_id
    from unioned
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
