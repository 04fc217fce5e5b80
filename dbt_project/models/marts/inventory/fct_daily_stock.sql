{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date_day',
    on_schema_change='fail'
) }}
{#
    Stock per SKU x warehouse x day: opening, movements by kind, closing (on_hand_qty), value at
    moving-average cost and the stockout flag. Quantities from int_stock_daily_rollforward (snapshots
    win over the roll-forward); cost from int_unit_cost_changes carried forward to the following days,
    the item master's cost before the first snapshot or receipt cost (is_fallback_cost).
    Incremental like its upstream (macros/incremental.sql): rows from rebuild_from on are rebuilt, the
    cost carried into them comes from this table's day before.
#}
{% if is_incremental() %}
{%- set rebuild_from = incremental_rebuild_from() %}
with seed as (
    -- the cost carried into the rebuild: the day before's, unless that was still a fallback
    select built.sku, built.warehouse_id, built.unit_cost, built.cost_source
    from {{ this }} as built
    where built.date_day = {{ add_days(rebuild_from, -1) }}
        and built.cost_source not in ('item_master', 'missing')
),

rollforward as (
    select * from {{ ref('int_stock_daily_rollforward') }}
    where date_day >= {{ rebuild_from }}
),

cost_changes as (
    select * from {{ ref('int_unit_cost_changes') }}
    where date_day >= {{ rebuild_from }}
),
{% else %}
with rollforward as (
    select * from {{ ref('int_stock_daily_rollforward') }}
),

cost_changes as (
    select * from {{ ref('int_unit_cost_changes') }}
),
{% endif %}

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
        items.unit_cost * fx_rates.rate as item_master_unit_cost,
        {% if is_incremental() -%}
        seed.unit_cost as seed_unit_cost,
        seed.cost_source as seed_cost_source
        {%- else -%}
        cast(null as {{ type_double() }}) as seed_unit_cost,
        cast(null as {{ dbt.type_string() }}) as seed_cost_source
        {%- endif %}
    from rollforward
    left join cost_changes
        on rollforward.sku = cost_changes.sku
        and rollforward.warehouse_id = cost_changes.warehouse_id
        and rollforward.date_day = cost_changes.date_day
    left join items on rollforward.sku = items.sku
    left join fx_rates
        on items.currency = fx_rates.currency
        and rollforward.date_day = fx_rates.rate_date
    {% if is_incremental() %}
    left join seed
        on rollforward.sku = seed.sku
        and rollforward.warehouse_id = seed.warehouse_id
    {% endif %}
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
        case
            when cost_group > 0 then carried_unit_cost
            when seed_unit_cost is not null then seed_unit_cost
            else item_master_unit_cost
        end as unit_cost,
        case
            when cost_group > 0 then carried_cost_source
            when seed_unit_cost is not null then seed_cost_source
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
        is_active and on_hand_qty <= 0 as is_stockout,
        built_from_load_id
    from costed
)

select * from final
