{{ config(tags=['forecast_accuracy']) }}

{#
    Past forecasts against the demand that has arrived since: one row per forecast origin, SKU,
    warehouse and forecast day up to the latest data date. Errors are kept per row (absolute error,
    signed error, p90 coverage) so that WAPE, bias and coverage can be aggregated at any grain as
    sum(abs_error) / sum(actual_qty), never by averaging row ratios.
#}
with forecasts as (
    select * from {{ ref('stg_forecast__sku_demand_forecasts') }}
),

actuals as (
    select sku, warehouse_id, date_day, ordered_qty
    from {{ ref('fct_sku_daily_demand') }}
),

bounds as (
    select last_date from {{ ref('int_data_date_bounds') }}
),

joined as (
    select
        forecasts.origin_date,
        forecasts.sku,
        forecasts.warehouse_id,
        forecasts.forecast_date,
        forecasts.horizon_days,
        forecasts.p50,
        forecasts.p90,
        forecasts.mean,
        coalesce(actuals.ordered_qty, 0) as actual_qty,
        forecasts.run_id
    from forecasts
    cross join bounds
    left join actuals
        on forecasts.sku = actuals.sku
        and forecasts.warehouse_id = actuals.warehouse_id
        and forecasts.forecast_date = actuals.date_day
    where forecasts.forecast_date <= bounds.last_date
),

final as (
    select
        *,
        abs(actual_qty - p50) as abs_error,
        p50 - actual_qty as error,
        actual_qty <= p90 as is_covered_p90,
        cast({{ dbt.date_trunc('month', 'forecast_date') }} as date) as forecast_month
    from joined
)

select * from final
