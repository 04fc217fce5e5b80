{#
    Fill rate per SKU x warehouse x month (month of the order date), from the counted lines of
    int_sales_order_lines_evaluated, with stockout days and an estimate of the units lost to them.
    Lost units: each stockout day (fct_daily_stock.is_stockout) is charged the in-stock daily demand
    rate of the previous var lost_sales_lookback_days days = units ordered on in-stock days /
    in-stock days in that window (fct_daily_stock has one row per SKU x warehouse x day, so a rows
    frame is a day frame). A stockout day with no in-stock day in its window adds nothing.
    Rows: every SKU x warehouse x month with an order line or a day of stock history.
    Incremental by month (macros/incremental.sql): whole months from the month of the earliest line or
    day that int_sales_order_lines_evaluated or fct_daily_stock rewrote since this table was last built
    (the lines' rebuild already covers not-yet-due lines that came due); the lookback window reads the
    var lost_sales_lookback_days days before it.
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
    upstream=[(ref('int_sales_order_lines_evaluated'), 'month_start'), (ref('fct_daily_stock'), 'date_day')]) %}
{%- set read_from = add_days(rebuild_from, -1 * var('lost_sales_lookback_days')) %}
{%- endif %}
with order_lines as (
    select * from {{ ref('int_sales_order_lines_evaluated') }}
    {% if is_incremental() %}where order_date >= {{ read_from }}{% endif %}
),

daily_stock as (
    select sku, warehouse_id, date_day, is_active, is_stockout
    from {{ ref('fct_daily_stock') }}
    {% if is_incremental() %}where date_day >= {{ read_from }}{% endif %}
),

line_months as (
    select
        sku,
        warehouse_id,
        month_start,
        sum(case when is_counted then 1 else 0 end) as order_lines,
        sum(case when is_complete then 1 else 0 end) as lines_shipped_complete,
        sum(case when is_on_time_in_full then 1 else 0 end) as lines_on_time_in_full,
        sum(case when is_counted then ordered_qty else 0 end) as units_ordered,
        sum(case when is_counted then filled_qty else 0 end) as units_shipped,
        sum(case when is_counted then value_ordered end) as value_ordered,
        sum(case when is_counted then value_shipped end) as value_shipped,
        sum(case when count_status = 'not_yet_due' then 1 else 0 end) as lines_not_yet_due,
        sum(case when count_status = 'shipped_qty_unknown' then 1 else 0 end) as lines_shipped_qty_unknown,
        sum(case when count_status = 'cancelled' then 1 else 0 end) as lines_cancelled
    from order_lines
    {% if is_incremental() %}where month_start >= {{ rebuild_from }}{% endif %}
    group by sku, warehouse_id, month_start
),

daily_demand as (
    -- demand as ordered, whatever was shipped: every line but cancelled and non-positive ones
    select
        sku,
        warehouse_id,
        order_date as date_day,
        sum(ordered_qty) as units_demanded
    from order_lines
    where count_status not in ('cancelled', 'no_ordered_qty')
    group by sku, warehouse_id, order_date
),

stock_days as (
    select
        daily_stock.sku,
        daily_stock.warehouse_id,
        daily_stock.date_day,
        cast({{ dbt.date_trunc('month', 'daily_stock.date_day') }} as date) as month_start,
        daily_stock.is_active,
        daily_stock.is_stockout,
        case
            when daily_stock.is_active and not daily_stock.is_stockout
                then coalesce(daily_demand.units_demanded, 0)
        end as in_stock_units_demanded,
        case when daily_stock.is_active and not daily_stock.is_stockout then 1 else 0 end as is_in_stock_day
    from daily_stock
    left join daily_demand
        on daily_demand.sku = daily_stock.sku
        and daily_demand.warehouse_id = daily_stock.warehouse_id
        and daily_demand.date_day = daily_stock.date_day
),

lookback as (
    select
        stock_days.*,
        sum(in_stock_units_demanded) over (
            partition by sku, warehouse_id order by date_day
            rows between {{ var('lost_sales_lookback_days') }} preceding and 1 preceding
        ) as lookback_in_stock_units,
        sum(is_in_stock_day) over (
            partition by sku, warehouse_id order by date_day
            rows between {{ var('lost_sales_lookback_days') }} preceding and 1 preceding
        ) as lookback_in_stock_days
    from stock_days
),

stock_months as (
    select
        sku,
        warehouse_id,
        month_start,
        sum(case when is_active then 1 else 0 end) as active_days,
        sum(case when is_stockout then 1 else 0 end) as stockout_days,
        sum(
            case
                when is_stockout and lookback_in_stock_days > 0
                    then cast(lookback_in_stock_units as {{ type_double() }}) / lookback_in_stock_days
                else 0
            end
        ) as estimated_lost_units
    from lookback
    {% if is_incremental() %}where month_start >= {{ rebuild_from }}{% endif %}
    group by sku, warehouse_id, month_start
),

joined as (
    select
        coalesce(line_months.sku, stock_months.sku) as sku,
        coalesce(line_months.warehouse_id, stock_months.warehouse_id) as warehouse_id,
        coalesce(line_months.month_start, stock_months.month_start) as month_start,
        coalesce(line_months.order_lines, 0) as order_lines,
        coalesce(line_months.lines_shipped_complete, 0) as lines_shipped_complete,
        coalesce(line_months.lines_on_time_in_full, 0) as lines_on_time_in_full,
        coalesce(line_months.units_ordered, 0) as units_ordered,
        coalesce(line_months.units_shipped, 0) as units_shipped,
        line_months.value_ordered,
        line_months.value_shipped,
        coalesce(line_months.lines_not_yet_due, 0) as lines_not_yet_due,
        coalesce(line_months.lines_shipped_qty_unknown, 0) as lines_shipped_qty_unknown,
        coalesce(line_months.lines_cancelled, 0) as lines_cancelled,
        coalesce(stock_months.active_days, 0) as active_days,
        coalesce(stock_months.stockout_days, 0) as stockout_days,
        coalesce(stock_months.estimated_lost_units, 0) as estimated_lost_units
    from line_months
    full outer join stock_months
        on stock_months.sku = line_months.sku
        and stock_months.warehouse_id = line_months.warehouse_id
        and stock_months.month_start = line_months.month_start
),

final as (
    select
        sku,
        warehouse_id,
        month_start,
        order_lines,
        lines_shipped_complete,
        lines_on_time_in_full,
        {{ safe_divide('lines_shipped_complete', 'order_lines') }} as line_fill_rate,
        {{ safe_divide('lines_on_time_in_full', 'order_lines') }} as otif_rate,
        units_ordered,
        units_shipped,
        {{ safe_divide('units_shipped', 'units_ordered') }} as unit_fill_rate,
        value_ordered,
        value_shipped,
        {{ safe_divide('value_shipped', 'value_ordered') }} as value_fill_rate,
        lines_not_yet_due,
        lines_shipped_qty_unknown,
        lines_cancelled,
        active_days,
        stockout_days,
        estimated_lost_units,
        {{ current_load_id() }} as built_from_load_id
    from joined
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
