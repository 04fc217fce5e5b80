{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date_day',
    on_schema_change='fail'
) }}
{#
    The forecaster's input: demand per SKU x warehouse x day on the same dense grid as fct_daily_stock
    (days without orders are rows with zero), with shipments, the stockout flag (censored demand),
    the average selling price and promotion flags. Incremental (macros/incremental.sql): the days from
    rebuild_from on are rebuilt.
#}
with
{% if is_incremental() %}
{%- set rebuild_from = incremental_rebuild_from() %}
{% endif %}

daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
    {% if is_incremental() %}where date_day >= {{ rebuild_from }}{% endif %}
),

demand as (
    select * from {{ ref('int_sales_demand_daily') }}
    {% if is_incremental() %}where order_date >= {{ rebuild_from }}{% endif %}
),

promotions as (
    select * from {{ ref('int_promotions_daily') }}
    {% if is_incremental() %}where date_day >= {{ rebuild_from }}{% endif %}
),

final as (
    select
        daily_stock.sku,
        daily_stock.warehouse_id,
        daily_stock.date_day,
        coalesce(demand.ordered_qty, 0) as ordered_qty,
        coalesce(demand.order_line_count, 0) as order_line_count,
        daily_stock.shipped_qty,
        daily_stock.customer_return_qty,
        demand.ordered_value,
        {{ safe_divide('demand.ordered_value', 'demand.priced_ordered_qty') }} as avg_unit_price,
        daily_stock.opening_qty,
        daily_stock.on_hand_qty,
        daily_stock.is_active,
        daily_stock.is_stockout,
        coalesce(promotions.promotion_count, 0) > 0 as is_on_promotion,
        coalesce(promotions.promotion_count, 0) as promotion_count,
        promotions.max_discount_pct,
        {{ current_load_id() }} as built_from_load_id
    from daily_stock
    left join demand
        on daily_stock.sku = demand.sku
        and daily_stock.warehouse_id = demand.warehouse_id
        and daily_stock.date_day = demand.order_date
    left join promotions
        on daily_stock.sku = promotions.sku
        and daily_stock.warehouse_id = promotions.warehouse_id
        and daily_stock.date_day = promotions.date_day
)

select * from final
