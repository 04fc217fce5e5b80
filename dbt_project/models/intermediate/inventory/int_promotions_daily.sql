{#
    Promotions per SKU x warehouse x day: a promotion for every warehouse ('*') is spread over the
    warehouse master, so the marts join on equality. Sparse: only promoted days.
    Incremental by day (macros/incremental.sql), a table rather than a view: fct_sku_daily_demand and a
    data test read it. A run rebuilds the days from the earliest start date among the new loads of
    promotions and the versions they supersede, and from the day after the last promoted day built (a
    promotion running past the data date gains days as the calendar grows); a warehouse added to or
    removed from the master (promotions for every warehouse spread over it) rebuilds every day.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='date_day',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set rebuild_from = incremental_rebuild_from(
    'date_day', raw_changes=['promotions'], also=[all_dates_if_warehouses_changed('date_day')]) %}
{%- endif %}
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
        max(promotion_warehouses.discount_pct) as max_discount_pct,
        {{ current_load_id() }} as built_from_load_id
    from promotion_warehouses
    inner join calendar
        on calendar.date_day >= promotion_warehouses.start_date
        and calendar.date_day <= promotion_warehouses.end_date
    {% if is_incremental() %}where calendar.date_day >= {{ rebuild_from }}{% endif %}
    group by promotion_warehouses.sku, promotion_warehouses.warehouse_id, calendar.date_day
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
