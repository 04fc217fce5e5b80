{#
    One row per snapshot that disagrees with the stock ledger: the roll-forward from the previous
    snapshot (or from 0 when the series had none) says rollforward_qty, the snapshot says snapshot_qty.
    The snapshot wins from that day on (fct_daily_stock); the difference is kept here and surfaced as a
    warning. A series' first snapshot opens it and is never a difference.
#}
with daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
),

snapshot_days as (
    select
        sku,
        warehouse_id,
        date_day as snapshot_date,
        lag(date_day) over (partition by sku, warehouse_id order by date_day) as previous_snapshot_date,
        opening_qty,
        net_movement_qty,
        rollforward_qty,
        snapshot_qty,
        snapshot_adjustment_qty,
        unit_cost
    from daily_stock
    where is_snapshot_day
),

final as (
    select
        sku,
        warehouse_id,
        snapshot_date,
        previous_snapshot_date,
        opening_qty,
        net_movement_qty,
        rollforward_qty,
        snapshot_qty,
        snapshot_adjustment_qty as difference_qty,
        unit_cost,
        snapshot_adjustment_qty * unit_cost as difference_value,
        case
            when snapshot_adjustment_qty > 0 then 'snapshot_above_ledger'
            else 'snapshot_below_ledger'
        end as difference_direction
    from snapshot_days
    where abs(snapshot_adjustment_qty) > {{ var('stock_reconciliation_tolerance_qty') }}
)

select * from final
