{#
    Dead and slow stock per SKU x warehouse as of the data date (the last day of the data): stock on
    hand, when it last sold and last moved, FIFO age buckets (int_fifo_layers) and a status:
      new    first purchase receipt at the warehouse within var new_stock_days;
      dead   stock on hand and no sale (shipment) for var dead_stock_no_sale_days (never sold: counted
             from the series' first day);
      slow   stock on hand and demand (units ordered) over the last var slow_stock_window_days below
             var slow_stock_max_sell_through x on-hand;
      active everything else (including series without stock).
    Windows of N days end on the data date: days_since < N is inside the window.
#}
with daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
),

rollforward as (
    select * from {{ ref('int_stock_daily_rollforward') }}
),

ledger as (
    select * from {{ ref('int_stock_movements_unioned') }}
),

demand as (
    select * from {{ ref('int_sales_demand_daily') }}
),

fifo_layers as (
    select * from {{ ref('int_fifo_layers') }}
),

bounds as (
    select last_date as as_of_date from {{ ref('int_data_date_bounds') }}
),

stock_at_date as (
    select
        daily_stock.sku,
        daily_stock.warehouse_id,
        bounds.as_of_date,
        daily_stock.on_hand_qty,
        daily_stock.on_hand_value,
        daily_stock.unit_cost,
        daily_stock.is_fallback_cost,
        daily_stock.is_active
    from daily_stock
    inner join bounds on daily_stock.date_day = bounds.as_of_date
),

series_first_dates as (
    select rollforward.sku, rollforward.warehouse_id, rollforward.series_first_date
    from rollforward
    inner join bounds on rollforward.date_day = bounds.as_of_date
),

ledger_dates as (
    select
        sku,
        warehouse_id,
        max(case when movement_class = 'shipment' and qty < 0 then movement_date end) as last_sale_date,
        max(movement_date) as last_movement_date,
        min(case when movement_class = 'receipt' then movement_date end) as first_receipt_date,
        max(case when movement_class = 'receipt' then movement_date end) as last_receipt_date
    from ledger
    group by sku, warehouse_id
),

window_demand as (
    select demand.sku, demand.warehouse_id, sum(demand.ordered_qty) as window_ordered_qty
    from demand
    inner join bounds
        on demand.order_date <= bounds.as_of_date
        and demand.order_date > {{ dbt.dateadd('day', -1 * var('slow_stock_window_days'), 'bounds.as_of_date') }}
    group by demand.sku, demand.warehouse_id
),

aged as (
    select
        sku,
        warehouse_id,
        sum(case when age_bucket = '0-30' then remaining_qty else 0 end) as age_0_30_qty,
        sum(case when age_bucket = '0-30' then remaining_value else 0 end) as age_0_30_value,
        sum(case when age_bucket = '31-60' then remaining_qty else 0 end) as age_31_60_qty,
        sum(case when age_bucket = '31-60' then remaining_value else 0 end) as age_31_60_value,
        sum(case when age_bucket = '61-90' then remaining_qty else 0 end) as age_61_90_qty,
        sum(case when age_bucket = '61-90' then remaining_value else 0 end) as age_61_90_value,
        sum(case when age_bucket = '91-180' then remaining_qty else 0 end) as age_91_180_qty,
        sum(case when age_bucket = '91-180' then remaining_value else 0 end) as age_91_180_value,
        sum(case when age_bucket = '181-365' then remaining_qty else 0 end) as age_181_365_qty,
        sum(case when age_bucket = '181-365' then remaining_value else 0 end) as age_181_365_value,
        sum(case when age_bucket = 'over_365' then remaining_qty else 0 end) as age_over_365_qty,
        sum(case when age_bucket = 'over_365' then remaining_value else 0 end) as age_over_365_value,
        sum(remaining_value) as fifo_value,
        sum(remaining_qty * age_days) / sum(remaining_qty) as avg_age_days,
        min(layer_date) as oldest_layer_date
    from fifo_layers
    group by sku, warehouse_id
),

joined as (
    select
        stock_at_date.*,
        series_first_dates.series_first_date,
        ledger_dates.last_sale_date,
        ledger_dates.last_movement_date,
        ledger_dates.first_receipt_date,
        ledger_dates.last_receipt_date,
        {{ dbt.datediff('ledger_dates.last_sale_date', 'stock_at_date.as_of_date', 'day') }}
            as days_since_last_sale,
        {{ dbt.datediff('ledger_dates.last_movement_date', 'stock_at_date.as_of_date', 'day') }}
            as days_since_last_movement,
        {{ dbt.datediff('ledger_dates.first_receipt_date', 'stock_at_date.as_of_date', 'day') }}
            as days_since_first_receipt,
        {{ dbt.datediff(
            'coalesce(ledger_dates.last_sale_date, series_first_dates.series_first_date)',
            'stock_at_date.as_of_date', 'day') }} as days_without_sale,
        coalesce(window_demand.window_ordered_qty, 0) as window_ordered_qty,
        coalesce(aged.age_0_30_qty, 0) as age_0_30_qty,
        coalesce(aged.age_0_30_value, 0) as age_0_30_value,
        coalesce(aged.age_31_60_qty, 0) as age_31_60_qty,
        coalesce(aged.age_31_60_value, 0) as age_31_60_value,
        coalesce(aged.age_61_90_qty, 0) as age_61_90_qty,
        coalesce(aged.age_61_90_value, 0) as age_61_90_value,
        coalesce(aged.age_91_180_qty, 0) as age_91_180_qty,
        coalesce(aged.age_91_180_value, 0) as age_91_180_value,
        coalesce(aged.age_181_365_qty, 0) as age_181_365_qty,
        coalesce(aged.age_181_365_value, 0) as age_181_365_value,
        coalesce(aged.age_over_365_qty, 0) as age_over_365_qty,
        coalesce(aged.age_over_365_value, 0) as age_over_365_value,
        coalesce(aged.fifo_value, 0) as fifo_value,
        aged.avg_age_days,
        aged.oldest_layer_date
    from stock_at_date
    inner join series_first_dates
        on stock_at_date.sku = series_first_dates.sku
        and stock_at_date.warehouse_id = series_first_dates.warehouse_id
    left join ledger_dates
        on stock_at_date.sku = ledger_dates.sku
        and stock_at_date.warehouse_id = ledger_dates.warehouse_id
    left join window_demand
        on stock_at_date.sku = window_demand.sku
        and stock_at_date.warehouse_id = window_demand.warehouse_id
    left join aged
        on stock_at_date.sku = aged.sku
        and stock_at_date.warehouse_id = aged.warehouse_id
),

final as (
    select
        *,
        on_hand_qty > 0 as has_stock,
        case
            when {{ is_new_stock('days_since_first_receipt') }} then 'new'
            when {{ is_dead_stock('on_hand_qty', 'days_without_sale', 'days_since_first_receipt') }} then 'dead'
            when on_hand_qty > 0
                and window_ordered_qty < {{ var('slow_stock_max_sell_through') }} * on_hand_qty then 'slow'
            else 'active'
        end as stock_status
    from joined
)

select * from final
