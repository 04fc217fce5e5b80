{#
    Stock per SKU x warehouse x day: opening, movements by kind, closing (on_hand_qty), value at
    moving-average cost and the stockout flag. Quantities from int_stock_daily_rollforward (snapshots
    win over the roll-forward); cost from int_unit_cost_changes carried forward to the following days,
    the item master's cost before the first snapshot or receipt cost (is_fallback_cost).
#}
with rollforward as (
    select * from {{ ref('int_stock_daily_rollforward') }}
),

cost_changes as (
    select * from {{ ref('int_unit_cost_changes') }}
),

items as (
    select * from {{ ref('stg_erp__items') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

joined as (
    select
        rollforward.*,
        cost_changes.unit_cost as changed_unit_cost,
        cost_changes.cost_source as changed_cost_source,
        items.unit_cost * fx_rates.rate as item_master_unit_cost
    from rollforward
    left join cost_changes
        on rollforward.sku = cost_changes.sku
        and rollforward.warehouse_id = cost_changes.warehouse_id
        and rollforward.date_day = cost_changes.date_day
    left join items on rollforward.sku = items.sku
    left join fx_rates
        on items.currency = fx_rates.currency
        and rollforward.date_day = fx_rates.rate_date
),

cost_groups as (
    select
        *,
        count(changed_unit_cost) over (
            partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row
        ) as cost_group
    from joined
),

carried as (
    select
        *,
        max(changed_unit_cost) over (partition by sku, warehouse_id, cost_group) as carried_unit_cost,
        max(changed_cost_source) over (partition by sku, warehouse_id, cost_group) as carried_cost_source
    from cost_groups
),

costed as (
    select
        *,
        case when cost_group > 0 then carried_unit_cost else item_master_unit_cost end as unit_cost,
        case
            when cost_group > 0 then carried_cost_source
            when item_master_unit_cost is not null then 'item_master'
            else 'missing'
        end as cost_source
    from carried
),

final as (
    select
        sku,
        warehouse_id,
        date_day,
        opening_qty,
        received_qty,
        shipped_qty,
        customer_return_qty,
        supplier_return_qty,
        transfer_in_qty,
        transfer_out_qty,
        adjustment_qty,
        scrap_qty,
        other_in_qty,
        other_out_qty,
        net_movement_qty,
        rollforward_qty,
        snapshot_qty,
        snapshot_adjustment_qty,
        on_hand_qty,
        unit_cost,
        cost_source,
        cost_source in ('item_master', 'missing') as is_fallback_cost,
        on_hand_qty * unit_cost as on_hand_value,
        (shipped_qty - customer_return_qty) * unit_cost as cogs_value,
        is_snapshot_day,
        is_active,
        is_active and on_hand_qty <= 0 as is_stockout
    from costed
)

select * from final
