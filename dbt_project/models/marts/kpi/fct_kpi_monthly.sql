{#
    Headline KPIs per month, per warehouse and for the company (warehouse_id '*'), for dashboards.
    Every ratio is recomputed from summed numerators and denominators of the marts it comes from,
    never averaged. Stock figures are taken at the period end: the month's last day, or the data date
    for the current month; dead stock there follows fct_dead_stock's rules (on hand, no sale for
    var dead_stock_no_sale_days, not new), so the latest month agrees with fct_dead_stock. A series'
    last sale, first receipt and first day up to a period end come from fct_inventory_turnover's
    months, so only the period-end days of fct_daily_stock are read.
    Incremental by month (macros/incremental.sql): whole months from the earliest month that
    fct_inventory_turnover, fct_fill_rate or fct_order_fill_rate rewrote since this table was last built.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='month_start',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set rebuild_from = incremental_rebuild_from(
    'month_start', grain='month', raw_changes=false,
    upstream=[(ref('fct_inventory_turnover'), 'month_start'), (ref('fct_fill_rate'), 'month_start'),
              (ref('fct_order_fill_rate'), 'month_start')]) %}
{%- endif %}
with turnover as (
    select * from {{ ref('fct_inventory_turnover_summary') }}
    where rollup_level in ('warehouse', 'company')
    {% if is_incremental() %}and month_start >= {{ rebuild_from }}{% endif %}
),

fill_lines as (
    select * from {{ ref('fct_fill_rate') }}
    {% if is_incremental() %}where month_start >= {{ rebuild_from }}{% endif %}
),

fill_orders as (
    select * from {{ ref('fct_order_fill_rate') }}
    {% if is_incremental() %}where month_start >= {{ rebuild_from }}{% endif %}
),

series_months as (
    select * from {{ ref('fct_inventory_turnover') }}
),

daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
    {% if is_incremental() %}where date_day >= {{ rebuild_from }}{% endif %}
),

bounds as (
    select last_date from {{ ref('int_data_date_bounds') }}
),

series_history as (
    -- each series' first day, last sale and first receipt up to the end of each month
    select
        sku,
        warehouse_id,
        month_start,
        stockout_days,
        min(first_stock_date) over (
            partition by sku, warehouse_id order by month_start rows between unbounded preceding and current row
        ) as series_first_date,
        max(last_sale_date) over (
            partition by sku, warehouse_id order by month_start rows between unbounded preceding and current row
        ) as last_sale_date,
        min(first_receipt_date) over (
            partition by sku, warehouse_id order by month_start rows between unbounded preceding and current row
        ) as first_receipt_date
    from series_months
),

rebuilt_series_history as (
    select * from series_history
    {% if is_incremental() %}where month_start >= {{ rebuild_from }}{% endif %}
),

period_end_stock as (
    select
        daily_stock.sku,
        daily_stock.warehouse_id,
        daily_stock.date_day,
        daily_stock.on_hand_qty,
        daily_stock.on_hand_value,
        rebuilt_series_history.month_start,
        {{ dbt.datediff(
            'coalesce(rebuilt_series_history.last_sale_date, rebuilt_series_history.series_first_date)',
            'daily_stock.date_day', 'day') }} as days_without_sale,
        {{ dbt.datediff('rebuilt_series_history.first_receipt_date', 'daily_stock.date_day', 'day') }}
            as days_since_first_receipt
    from daily_stock
    cross join bounds
    inner join rebuilt_series_history
        on daily_stock.sku = rebuilt_series_history.sku
        and daily_stock.warehouse_id = rebuilt_series_history.warehouse_id
        and cast({{ dbt.date_trunc('month', 'daily_stock.date_day') }} as date) = rebuilt_series_history.month_start
    where daily_stock.date_day = least(
        cast({{ dbt.last_day('daily_stock.date_day', 'month') }} as date), bounds.last_date
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
    from rebuilt_series_history
    where stockout_days > 0
    group by 1, 2
),

stockouts_company as (
    select month_start, count(distinct sku) as stockout_sku_count
    from rebuilt_series_history
    where stockout_days > 0
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
        estimated_lost_units,
        {{ current_load_id() }} as built_from_load_id
    from unioned
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
