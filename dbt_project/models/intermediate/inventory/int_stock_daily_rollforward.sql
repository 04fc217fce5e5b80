{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date_day',
    on_schema_change='fail'
) }}
{#
    Daily stock quantities per SKU x warehouse, rebuilt from snapshots plus the ledger:
    closing = opening + net movements, except on a snapshot day, where the snapshot (end-of-day balance)
    wins and the gap is kept as snapshot_adjustment_qty. A series runs from its first snapshot, movement
    or order to the last data date; one without a snapshot starts from 0.

    Portable window logic, no recursion: the running sum of net movements (cum_net) plus an offset
    that each snapshot resets (snapshot_qty - cum_net on the snapshot day), carried forward to the
    next snapshot with the "count the anchors seen so far, take that group's value" pattern.

    Incremental (macros/incremental.sql): a run rebuilds every series from rebuild_from on. The closing
    stock of the day before, read from this table, anchors the roll-forward like a snapshot would.
#}
with ledger as (
    select * from {{ ref('int_stock_movements_unioned') }}
),

snapshots as (
    select * from {{ ref('stg_erp__stock_snapshots') }}
),

sales_order_lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
),

items as (
    select * from {{ ref('stg_erp__items') }}
),

calendar as (
    select date_day from {{ ref('dim_dates') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

{% if is_incremental() %}
{%- set rebuild_from = incremental_rebuild_from() %}

seed as (
    -- the last built day before the rebuild: its closing stock anchors the roll-forward
    select built.sku, built.warehouse_id, built.date_day, built.series_first_date, built.on_hand_qty
    from {{ this }} as built
    where built.date_day = {{ add_days(rebuild_from, -1) }}
),
{% endif %}

movements_daily as (
    select
        sku,
        warehouse_id,
        movement_date as date_day,
        sum(case when movement_class = 'receipt' then qty else 0 end) as received_qty,
        sum(case when movement_class = 'shipment' then -qty else 0 end) as shipped_qty,
        sum(case when movement_class = 'customer_return' then qty else 0 end) as customer_return_qty,
        sum(case when movement_class = 'supplier_return' then -qty else 0 end) as supplier_return_qty,
        sum(case when movement_class = 'transfer_in' then qty else 0 end) as transfer_in_qty,
        sum(case when movement_class = 'transfer_out' then -qty else 0 end) as transfer_out_qty,
        sum(case when movement_class = 'adjustment' then qty else 0 end) as adjustment_qty,
        sum(case when movement_class = 'scrap' then -qty else 0 end) as scrap_qty,
        sum(case when movement_class in ('production_in', 'other_in') then qty else 0 end) as other_in_qty,
        sum(case when movement_class in ('production_out', 'other_out') then -qty else 0 end) as other_out_qty,
        sum(qty) as net_movement_qty,
        sum(case when movement_class = 'receipt' and unit_cost is not null then qty else 0 end)
            as costed_received_qty,
        sum(case when movement_class = 'receipt' and unit_cost is not null then qty * unit_cost else 0 end)
            as costed_received_value
    from ledger
    {% if is_incremental() %}where movement_date >= {{ rebuild_from }}{% endif %}
    group by sku, warehouse_id, movement_date
),

snapshots_base as (
    select
        snapshots.sku,
        snapshots.warehouse_id,
        snapshots.snapshot_date as date_day,
        snapshots.on_hand_qty as snapshot_qty,
        snapshots.unit_cost * fx_rates.rate as snapshot_unit_cost
    from snapshots
    left join fx_rates
        on snapshots.currency = fx_rates.currency
        and snapshots.snapshot_date = fx_rates.rate_date
    where snapshots.on_hand_qty is not null
    {% if is_incremental() %}and snapshots.snapshot_date >= {{ rebuild_from }}{% endif %}
),

series_first_dates as (
    select sku, warehouse_id, min(first_date) as first_date
    from (
        select sku, warehouse_id, min(date_day) as first_date from movements_daily group by sku, warehouse_id
        union all
        select sku, warehouse_id, min(date_day) from snapshots_base group by sku, warehouse_id
        union all
        select sku, warehouse_id, min(order_date)
        from sales_order_lines
        where line_status <> 'cancelled'
        {% if is_incremental() %}and order_date >= {{ rebuild_from }}{% endif %}
        group by sku, warehouse_id
        {% if is_incremental() %}
        union all
        select sku, warehouse_id, series_first_date from seed
        {% endif %}
    ) as firsts
    group by sku, warehouse_id
),

grid as (
    select
        series_first_dates.sku,
        series_first_dates.warehouse_id,
        series_first_dates.first_date,
        calendar.date_day
    from series_first_dates
    inner join calendar on calendar.date_day >= series_first_dates.first_date
    {% if is_incremental() %}
    -- from the seed day (the day before the rebuild) on
    where calendar.date_day >= {{ add_days(rebuild_from, -1) }}
    {% endif %}
),

joined as (
    select
        grid.sku,
        grid.warehouse_id,
        grid.date_day,
        grid.first_date,
        coalesce(movements_daily.received_qty, 0) as received_qty,
        coalesce(movements_daily.shipped_qty, 0) as shipped_qty,
        coalesce(movements_daily.customer_return_qty, 0) as customer_return_qty,
        coalesce(movements_daily.supplier_return_qty, 0) as supplier_return_qty,
        coalesce(movements_daily.transfer_in_qty, 0) as transfer_in_qty,
        coalesce(movements_daily.transfer_out_qty, 0) as transfer_out_qty,
        coalesce(movements_daily.adjustment_qty, 0) as adjustment_qty,
        coalesce(movements_daily.scrap_qty, 0) as scrap_qty,
        coalesce(movements_daily.other_in_qty, 0) as other_in_qty,
        coalesce(movements_daily.other_out_qty, 0) as other_out_qty,
        coalesce(movements_daily.net_movement_qty, 0) as net_movement_qty,
        coalesce(movements_daily.costed_received_qty, 0) as costed_received_qty,
        coalesce(movements_daily.costed_received_value, 0) as costed_received_value,
        movements_daily.sku is not null as has_movement,
        snapshots_base.snapshot_qty,
        snapshots_base.snapshot_unit_cost,
        {% if is_incremental() -%}
        coalesce(snapshots_base.snapshot_qty, seed.on_hand_qty) as anchor_qty
        {%- else -%}
        snapshots_base.snapshot_qty as anchor_qty
        {%- endif %}
    from grid
    left join movements_daily
        on grid.sku = movements_daily.sku
        and grid.warehouse_id = movements_daily.warehouse_id
        and grid.date_day = movements_daily.date_day
    left join snapshots_base
        on grid.sku = snapshots_base.sku
        and grid.warehouse_id = snapshots_base.warehouse_id
        and grid.date_day = snapshots_base.date_day
    {% if is_incremental() %}
    left join seed
        on grid.sku = seed.sku
        and grid.warehouse_id = seed.warehouse_id
        and grid.date_day = seed.date_day
    {% endif %}
),

running as (
    select
        *,
        sum(net_movement_qty) over (
            partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row
        ) as cum_net_qty,
        count(anchor_qty) over (
            partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row
        ) as snapshot_group
    from joined
),

anchored as (
    -- the offset of the latest snapshot on or before the day (0 before the first snapshot)
    select
        *,
        coalesce(
            max(anchor_qty - cum_net_qty) over (partition by sku, warehouse_id, snapshot_group), 0
        ) as snapshot_offset_qty
    from running
),

closing as (
    select
        *,
        cum_net_qty + snapshot_offset_qty as on_hand_qty
    from anchored
),

with_opening as (
    select
        *,
        -- the first day's opening is what the day's closing implies (the opening snapshot's balance)
        coalesce(
            lag(on_hand_qty) over (partition by sku, warehouse_id order by date_day),
            on_hand_qty - net_movement_qty
        ) as opening_qty
    from closing
),

final as (
    select
        with_opening.sku,
        with_opening.warehouse_id,
        with_opening.date_day,
        with_opening.first_date as series_first_date,
        with_opening.opening_qty,
        with_opening.received_qty,
        with_opening.shipped_qty,
        with_opening.customer_return_qty,
        with_opening.supplier_return_qty,
        with_opening.transfer_in_qty,
        with_opening.transfer_out_qty,
        with_opening.adjustment_qty,
        with_opening.scrap_qty,
        with_opening.other_in_qty,
        with_opening.other_out_qty,
        with_opening.net_movement_qty,
        with_opening.opening_qty + with_opening.net_movement_qty as rollforward_qty,
        with_opening.snapshot_qty,
        with_opening.on_hand_qty - (with_opening.opening_qty + with_opening.net_movement_qty)
            as snapshot_adjustment_qty,
        with_opening.on_hand_qty,
        with_opening.snapshot_unit_cost,
        with_opening.costed_received_qty,
        with_opening.costed_received_value,
        with_opening.has_movement,
        with_opening.snapshot_qty is not null as is_snapshot_day,
        -- listed at the warehouse: from its launch (or first record) until its discontinuation
        with_opening.date_day >= coalesce(items.launch_date, with_opening.first_date)
        and (
            (items.discontinued_date is null and coalesce(items.status, 'active') <> 'discontinued')
            or with_opening.date_day < items.discontinued_date
        ) as is_active,
        {{ current_load_id() }} as built_from_load_id
    from with_opening
    left join items on with_opening.sku = items.sku
    {% if is_incremental() %}where with_opening.date_day >= {{ rebuild_from }}{% endif %}
)

select * from final
