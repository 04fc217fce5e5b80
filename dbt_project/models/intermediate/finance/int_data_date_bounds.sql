{# The span of dates the extracts cover: the calendar and every daily fact run over it. #}
with dates as (
    select min(order_date) as first_date, max(greatest(order_date, coalesce(ship_date, order_date))) as last_date
    from {{ ref('stg_erp__sales_order_lines') }}
    union all
    select min(receipt_date), max(receipt_date) from {{ ref('stg_erp__receipts') }}
    union all
    select min(snapshot_date), max(snapshot_date) from {{ ref('stg_erp__stock_snapshots') }}
    union all
    select min(movement_date), max(movement_date) from {{ ref('stg_erp__stock_movements') }}
),

final as (
    select
        min(first_date) as first_date,
        max(last_date) as last_date
    from dates
)

select * from final
