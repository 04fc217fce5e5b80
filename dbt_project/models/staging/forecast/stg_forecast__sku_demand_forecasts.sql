{{ config(tags=['forecast_accuracy']) }}

with source as (
    select * from {{ source('forecast', 'sku_demand_forecasts') }}
),

renamed as (
    select
        sku,
        warehouse_id,
        cast(forecast_date as date) as forecast_date,
        cast(origin_date as date) as origin_date,
        horizon_days,
        p50,
        p90,
        mean,
        run_id,
        created_at
    from source
)

select * from renamed
