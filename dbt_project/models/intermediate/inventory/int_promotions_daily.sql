{#
    Promotions per SKU x warehouse x day: a promotion for every warehouse ('*') is spread over the
    warehouse master, so the marts join on equality. Sparse: only promoted days.
#}
with promotions as (
    select * from {{ ref('stg_erp__promotions') }}
),

warehouses as (
    select warehouse_id from {{ ref('stg_erp__warehouses') }}
),

calendar as (
    select date_day from {{ ref('dim_dates') }}
),

promotion_warehouses as (
    select promotions.promo_id, promotions.sku, warehouses.warehouse_id, promotions.start_date,
        promotions.end_date, promotions.discount_pct
    from promotions
    inner join warehouses
        on promotions.warehouse_id = warehouses.warehouse_id
        or promotions.applies_to_all_warehouses
),

final as (
    select
        promotion_warehouses.sku,
        promotion_warehouses.warehouse_id,
        calendar.date_day,
        count(distinct promotion_warehouses.promo_id) as promotion_count,
        max(promotion_warehouses.discount_pct) as max_discount_pct
    from promotion_warehouses
    inner join calendar
        on calendar.date_day >= promotion_warehouses.start_date
        and calendar.date_day <= promotion_warehouses.end_date
    group by promotion_warehouses.sku, promotion_warehouses.warehouse_id, calendar.date_day
)

select * from final
