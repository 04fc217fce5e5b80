{{ config(materialized='table') }}
{#
    Moving-average unit cost per SKU x warehouse, one row per day on which it is set: a snapshot with a
    cost (the ERP's valuation wins, as for quantities) or a purchase receipt with a cost. Between these
    days the cost carries forward (fct_daily_stock); before the first one the item master's cost is the
    fallback.

    Moving average on a receipt day: new = (opening_qty x previous + received value) / (opening_qty +
    received qty); with no stock before the receipt (opening_qty <= 0) or no previous cost, the receipt's
    own cost. That is the linear recurrence cost_k = a_k x cost_(k-1) + b_k with a_k the share of the
    old stock, which a window can solve without recursion: within a run of days since the last reset
    (a = 0), cost_k = exp(L_k) x sum over j <= k of b_j x exp(-L_j), with L the running sum of ln(a).
    A weight a below 1e-6 is treated as a reset (the old stock is less than a millionth of the new).
    The sums are taken per block of the log scale (see `scaled`) so long runs cannot overflow.
    A table, not a view: its window over every receipt and snapshot is the costliest intermediate step; fct_daily_stock and four data tests read it, so it is computed once per build.
#}
with rollforward as (
    select * from {{ ref('int_stock_daily_rollforward') }}
),

events as (
    select
        sku,
        warehouse_id,
        date_day,
        opening_qty,
        costed_received_qty,
        costed_received_value,
        snapshot_unit_cost,
        row_number() over (partition by sku, warehouse_id order by date_day) as event_number
    from rollforward
    where snapshot_unit_cost is not null
        or costed_received_qty > 0
),

weights as (
    select
        *,
        case
            when snapshot_unit_cost is not null then 'snapshot'
            else 'moving_average'
        end as cost_source,
        case
            when snapshot_unit_cost is not null then 0
            when event_number = 1 or opening_qty <= 0 then 0
            when opening_qty / (opening_qty + costed_received_qty) < 1e-6 then 0
            else opening_qty / (opening_qty + costed_received_qty)
        end as carry_weight
    from events
),

terms as (
    select
        *,
        case
            when snapshot_unit_cost is not null then snapshot_unit_cost
            when carry_weight = 0 then costed_received_value / costed_received_qty
            else costed_received_value / (opening_qty + costed_received_qty)
        end as new_term
    from weights
),

segments as (
    select
        *,
        sum({{ bool_to_int('carry_weight = 0') }}) over (
            partition by sku, warehouse_id order by date_day rows between unbounded preceding and current row
        ) as reset_segment
    from terms
),

log_weights as (
    select
        *,
        sum(case when carry_weight > 0 then ln(carry_weight) else 0 end) over (
            partition by sku, warehouse_id, reset_segment
            order by date_day rows between unbounded preceding and current row
        ) as log_carry
    from segments
),

scaled as (
    -- exp(-log_carry) overflows a double below about -709 (some thousand receipts without a reset), so the
    -- sums run per block of 300 in log space, each against its own reference -300 x scale_block: within a
    -- block the factors stay below e^300, and terms older than the previous block weigh under e^-300
    select
        *,
        cast(floor(-log_carry / 300) as integer) as scale_block
    from log_weights
),

block_running as (
    select
        *,
        sum(new_term * exp(-300 * scale_block - log_carry)) over (
            partition by sku, warehouse_id, reset_segment, scale_block
            order by date_day rows between unbounded preceding and current row
        ) as block_running_sum
    from scaled
),

block_totals as (
    select
        sku,
        warehouse_id,
        reset_segment,
        scale_block,
        sum(new_term * exp(-300 * scale_block - log_carry)) as block_total
    from scaled
    group by sku, warehouse_id, reset_segment, scale_block
),

solved as (
    select
        block_running.*,
        -- rounded to 1e-10: exp/ln leave floating-point noise in the last digits
        {{ round_double(
            'exp(block_running.log_carry + 300 * block_running.scale_block) * block_running.block_running_sum
            + coalesce(exp(block_running.log_carry + 300 * (block_running.scale_block - 1))
                * previous_block.block_total, 0)', 10) }} as unit_cost
    from block_running
    left join block_totals as previous_block
        on block_running.sku = previous_block.sku
        and block_running.warehouse_id = previous_block.warehouse_id
        and block_running.reset_segment = previous_block.reset_segment
        and block_running.scale_block - 1 = previous_block.scale_block
),

final as (
    select
        sku,
        warehouse_id,
        date_day,
        opening_qty,
        costed_received_qty,
        costed_received_value,
        snapshot_unit_cost,
        cost_source,
        carry_weight,
        unit_cost
    from solved
)

select * from final
