{#
    Headline KPIs per month, per warehouse and for the company (warehouse_id '*'), for dashboards.
    Every ratio is recomputed from summed numerators and denominators of the marts it comes from,
    never averaged. Stock figures are taken at the period end: the month's last day, or the data date
    for the current month; dead stock there follows fct_dead_stock's rules (on hand, no sale for
    var dead_stock_no_sale_days, not new), so the latest month agrees with fct_dead_stock.
#}
with turnover as (
    select * from {{ ref('fct_inventory_turnover_summary') }}
    where rollup_level in ('warehouse', 'company')
),

fill_lines as (
    select * from {{ ref('fct_fill_rate') }}
),

fill_orders as (
    select * from {{ ref('fct_order_fill_rate') }}
),

daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
),

bounds as (
    select last_date from {{ ref('int_data_date_bounds') }}
),

stock_history as (
    select
        sku,
        warehouse_id,
        date_day,
        on_hand_qty,
        on_hand_value,
        is_stockout,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        max(case when shipped_qty > 0 then date_day end)
            over (partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row)
            as last_sale_date,
        min(case when received_qty > 0 then date_day end)
            over (partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row)
            as first_receipt_date,
        min(date_day)
            over (partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row)
            as series_first_date
    from daily_stock
),

period_end_stock as (
    select
        stock_history.*,
        {{ dbt.datediff('coalesce(last_sale_date, series_first_date)', 'date_day', 'day') }} as days_without_sale,
        {{ dbt.datediff('first_receipt_date', 'date_day', 'day') }} as days_since_first_receipt
    from stock_history
    cross join bounds
    where stock_history.date_day = least(
        cast({{ dbt.last_day('stock_history.date_day', 'month') }} as date), bounds.last_date
    )
),

stock_by_warehouse as (
    select
        month_start,
        warehouse_id,
        max(date_day) as period_end_date,
        sum(on_hand_value) as period_end_on_hand_value,
        sum(case when is_dead then on_hand_value else 0 end) as dead_stock_value,
        sum(case when is_dead then 1 else 0 end) as dead_stock_series
    from (
        select
            *,
            {{ is_dead_stock('on_hand_qty', 'days_without_sale', 'days_since_first_receipt') }} as is_dead
        from period_end_stock
    ) as classified
    group by 1, 2
),

stockouts_by_warehouse as (
    select month_start, warehouse_id, count(distinct sku) as stockout_sku_count
    from stock_history
    where is_stockout
    group by 1, 2
),

stockouts_company as (
    select month_start, count(distinct sku) as stockout_sku_count
    from stock_history
    where is_stockout
    group by 1
),

lines_by_warehouse as (
    select
        month_start,
        warehouse_id,
        sum(order_lines) as order_lines,
        sum(lines_shipped_complete) as lines_shipped_complete,
        sum(lines_on_time_in_full) as lines_on_time_in_full,
        sum(units_ordered) as units_ordered,
        sum(units_shipped) as units_shipped,
        sum(value_ordered) as value_ordered,
        sum(value_shipped) as value_shipped,
        sum(estimated_lost_units) as estimated_lost_units
    from fill_lines
    group by 1, 2
),

orders_by_warehouse as (
    select
        month_start,
        warehouse_id,
        sum(orders) as orders,
        sum(orders_shipped_complete) as orders_shipped_complete,
        sum(orders_on_time_in_full) as orders_on_time_in_full
    from fill_orders
    group by 1, 2
),

warehouse_parts as (
    select
        turnover.month_start,
        'warehouse' as rollup_level,
        turnover.warehouse_id,
        turnover.days_in_period,
        turnover.cogs_value,
        turnover.avg_inventory_value,
        stock_by_warehouse.period_end_date,
        stock_by_warehouse.period_end_on_hand_value,
        stock_by_warehouse.dead_stock_value,
        stock_by_warehouse.dead_stock_series,
        coalesce(stockouts_by_warehouse.stockout_sku_count, 0) as stockout_sku_count,
        turnover.stockout_days,
        lines_by_warehouse.order_lines,
        lines_by_warehouse.lines_shipped_complete,
        lines_by_warehouse.lines_on_time_in_full,
        lines_by_warehouse.units_ordered,
        lines_by_warehouse.units_shipped,
        lines_by_warehouse.value_ordered,
        lines_by_warehouse.value_shipped,
        lines_by_warehouse.estimated_lost_units,
        orders_by_warehouse.orders,
        orders_by_warehouse.orders_shipped_complete,
        orders_by_warehouse.orders_on_time_in_full
    from turnover
    left join stock_by_warehouse
        on turnover.month_start = stock_by_warehouse.month_start
        and turnover.warehouse_id = stock_by_warehouse.warehouse_id
    left join stockouts_by_warehouse
        on turnover.month_start = stockouts_by_warehouse.month_start
        and turnover.warehouse_id = stockouts_by_warehouse.warehouse_id
    left join lines_by_warehouse
        on turnover.month_start = lines_by_warehouse.month_start
        and turnover.warehouse_id = lines_by_warehouse.warehouse_id
    left join orders_by_warehouse
        on turnover.month_start = orders_by_warehouse.month_start
        and turnover.warehouse_id = orders_by_warehouse.warehouse_id
    where turnover.rollup_level = 'warehouse'
),

company_parts as (
    select
        turnover.month_start,
        'company' as rollup_level,
        '*' as warehouse_id,
        turnover.days_in_period,
        turnover.cogs_value,
        turnover.avg_inventory_value,
        max(warehouse_parts.period_end_date) as period_end_date,
        sum(warehouse_parts.period_end_on_hand_value) as period_end_on_hand_value,
        sum(warehouse_parts.dead_stock_value) as dead_stock_value,
        sum(warehouse_parts.dead_stock_series) as dead_stock_series,
        coalesce(max(stockouts_company.stockout_sku_count), 0) as stockout_sku_count,
        turnover.stockout_days,
        sum(warehouse_parts.order_lines) as order_lines,
        sum(warehouse_parts.lines_shipped_complete) as lines_shipped_complete,
        sum(warehouse_parts.lines_on_time_in_full) as lines_on_time_in_full,
        sum(warehouse_parts.units_ordered) as units_ordered,
        sum(warehouse_parts.units_shipped) as units_shipped,
        sum(warehouse_parts.value_ordered) as value_ordered,
        sum(warehouse_parts.value_shipped) as value_shipped,
        sum(warehouse_parts.estimated_lost_units) as estimated_lost_units,
        sum(warehouse_parts.orders) as orders,
        sum(warehouse_parts.orders_shipped_complete) as orders_shipped_complete,
        sum(warehouse_parts.orders_on_time_in_full) as orders_on_time_in_full
    from turnover
    left join warehouse_parts on turnover.month_start = warehouse_parts.month_start
    left join stockouts_company on turnover.month_start = stockouts_company.month_start
    where turnover.rollup_level = 'company'
    group by turnover.month_start, turnover.days_in_period, turnover.cogs_value, turnover.avg_inventory_value,
        turnover.stockout_days
),

unioned as (
    select * from warehouse_parts
    union all
    select * from company_parts
),

final as (
    select
        month_start,
        rollup_level,
        warehouse_id,
        days_in_period,
        cogs_value,
        avg_inventory_value,
        {{ safe_divide('cogs_value', 'avg_inventory_value') }} as turnover_ratio,
        {{ safe_divide('avg_inventory_value * days_in_period', 'cogs_value') }} as dio_days,
        period_end_date,
        period_end_on_hand_value,
        dead_stock_value,
        dead_stock_series,
        {{ safe_divide('dead_stock_value', 'period_end_on_hand_value') }} as dead_stock_value_share,
        stockout_sku_count,
        stockout_days,
        order_lines,
        lines_shipped_complete,
        {{ safe_divide('lines_shipped_complete', 'order_lines') }} as line_fill_rate,
        units_ordered,
        units_shipped,
        {{ safe_divide('units_shipped', 'units_ordered') }} as unit_fill_rate,
        value_ordered,
        value_shipped,
        {{ safe_divide('value_shipped', 'value_ordered') }} as value_fill_rate,
        lines_on_time_in_full,
        {{ safe_divide('lines_on_time_in_full', 'order_lines') }} as line_otif_rate,
        orders,
        orders_shipped_complete,
        {{ safe_divide('orders_shipped_complete', 'orders') }} as order_fill_rate,
        orders_on_time_in_full,
        {{ safe_divide('orders_on_time_in_full', 'orders') }} as order_otif_rate,
        estimated_lost_units
    from unioned
)

select * from final
