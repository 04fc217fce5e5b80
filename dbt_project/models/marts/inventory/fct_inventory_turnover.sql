{#
    Turnover per SKU x warehouse x month. Average inventory is the mean of the daily closing values
    over the calendar days of the month that the data covers (a day before the series existed counts
    as zero stock), so it adds up across SKUs: keep inventory_value_days and days_in_period to
    aggregate, never average turnover_ratio or dio_days. first_stock_date, last_sale_date and
    first_receipt_date give fct_kpi_monthly the series' history up to each month without reading the days.
    Incremental by month (macros/incremental.sql): whole months from the month of the earliest day
    fct_daily_stock rewrote since this table was last built.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='month_start',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set rebuild_from = incremental_rebuild_from(
    'month_start', grain='month', raw_changes=false, upstream=[(ref('fct_daily_stock'), 'date_day')]) %}
{%- endif %}
with daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
    {% if is_incremental() %}where date_day >= {{ rebuild_from }}{% endif %}
),

calendar as (
    select * from {{ ref('dim_dates') }}
),

calendar_months as (
    select month_start, count(*) as days_in_period
    from calendar
    group by month_start
),

monthly as (
    select
        daily_stock.sku,
        daily_stock.warehouse_id,
        calendar.month_start,
        sum(daily_stock.cogs_value) as cogs_value,
        sum(daily_stock.shipped_qty) as units_shipped,
        sum(daily_stock.customer_return_qty) as units_returned,
        sum(daily_stock.received_qty) as units_received,
        sum(daily_stock.on_hand_value) as inventory_value_days,
        sum(daily_stock.on_hand_qty) as on_hand_qty_days,
        sum({{ bool_to_int('daily_stock.is_stockout') }}) as stockout_days,
        sum({{ bool_to_int('daily_stock.is_active') }}) as active_days,
        sum({{ bool_to_int('daily_stock.is_fallback_cost') }}) as fallback_cost_days,
        min(daily_stock.date_day) as first_stock_date,
        max(case when daily_stock.shipped_qty > 0 then daily_stock.date_day end) as last_sale_date,
        min(case when daily_stock.received_qty > 0 then daily_stock.date_day end) as first_receipt_date
    from daily_stock
    inner join calendar on daily_stock.date_day = calendar.date_day
    group by daily_stock.sku, daily_stock.warehouse_id, calendar.month_start
),

final as (
    select
        monthly.sku,
        monthly.warehouse_id,
        monthly.month_start,
        calendar_months.days_in_period,
        monthly.cogs_value,
        monthly.units_shipped,
        monthly.units_returned,
        monthly.units_received,
        monthly.inventory_value_days,
        monthly.on_hand_qty_days,
        monthly.inventory_value_days / calendar_months.days_in_period as avg_inventory_value,
        monthly.on_hand_qty_days / calendar_months.days_in_period as avg_on_hand_qty,
        'daily_mean' as avg_inventory_method,
        case
            when monthly.inventory_value_days > 0
                then monthly.cogs_value * calendar_months.days_in_period / monthly.inventory_value_days
        end as turnover_ratio,
        case
            when monthly.cogs_value > 0 then monthly.inventory_value_days / monthly.cogs_value
        end as dio_days,
        case
            when monthly.on_hand_qty_days > 0
                then (monthly.units_shipped - monthly.units_returned) * calendar_months.days_in_period
                    / monthly.on_hand_qty_days
        end as unit_turnover_ratio,
        monthly.stockout_days,
        monthly.active_days,
        monthly.fallback_cost_days > 0 as has_fallback_cost,
        monthly.first_stock_date,
        monthly.last_sale_date,
        monthly.first_receipt_date,
        {{ current_load_id() }} as built_from_load_id
    from monthly
    inner join calendar_months on monthly.month_start = calendar_months.month_start
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
