{#
    Monthly turnover rolled up by category, by warehouse and for the company: COGS and inventory-days
    are summed over the SKU x warehouse rows of fct_inventory_turnover, then the ratios are taken on the
    sums (never an average of ratios). rollup_level says which grouping a row is; the other key column
    holds '*' (all).
#}
with turnover as (
    select * from {{ ref('fct_inventory_turnover') }}
),

items as (
    select sku, category from {{ ref('stg_erp__items') }}
),

turnover_with_category as (
    select
        turnover.*,
        coalesce(items.category, 'uncategorised') as category
    from turnover
    left join items on turnover.sku = items.sku
),

{% set measures %}
        max(days_in_period) as days_in_period,
        count(distinct sku) as sku_count,
        count(*) as series_count,
        sum(cogs_value) as cogs_value,
        sum(units_shipped) as units_shipped,
        sum(units_returned) as units_returned,
        sum(inventory_value_days) as inventory_value_days,
        sum(on_hand_qty_days) as on_hand_qty_days,
        sum(stockout_days) as stockout_days,
        sum(active_days) as active_days
{% endset %}

rollups as (
    select month_start, 'category' as rollup_level, category, '*' as warehouse_id, {{ measures }}
    from turnover_with_category
    group by month_start, category
    union all
    select month_start, 'warehouse' as rollup_level, '*' as category, warehouse_id, {{ measures }}
    from turnover_with_category
    group by month_start, warehouse_id
    union all
    select month_start, 'company' as rollup_level, '*' as category, '*' as warehouse_id, {{ measures }}
    from turnover_with_category
    group by month_start
),

final as (
    select
        month_start,
        rollup_level,
        category,
        warehouse_id,
        days_in_period,
        sku_count,
        series_count,
        cogs_value,
        units_shipped,
        units_returned,
        inventory_value_days,
        inventory_value_days / days_in_period as avg_inventory_value,
        on_hand_qty_days / days_in_period as avg_on_hand_qty,
        'daily_mean' as avg_inventory_method,
        case when inventory_value_days > 0 then cogs_value * days_in_period / inventory_value_days end
            as turnover_ratio,
        case when cogs_value > 0 then inventory_value_days / cogs_value end as dio_days,
        stockout_days,
        active_days
    from rollups
)

select * from final
