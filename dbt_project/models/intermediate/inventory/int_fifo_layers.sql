{{ config(materialized='table') }}
{#
    FIFO layers of the stock on hand at the data date, per SKU x warehouse: the stock is taken to be the
    most recent inbound lines (receipts, customer returns, transfers in, production / other receipts,
    count gains), newest first, until it is used up; whatever the inbound lines of the data do not
    explain (the opening balance, snapshot corrections) is one opening layer dated at the series' first
    day, so its age is a lower bound. Layer cost: the receipt's own cost, for other lines the moving-
    average cost of their day. Window logic only: a running sum of newer layers' quantities.
    A table, not a view: fct_dead_stock and five data tests read it, so the layers are computed once per build.
#}
with ledger as (
    select * from {{ ref('int_stock_movements_unioned') }}
),

daily_stock as (
    select * from {{ ref('fct_daily_stock') }}
),

rollforward as (
    select * from {{ ref('int_stock_daily_rollforward') }}
),

bounds as (
    select last_date as as_of_date from {{ ref('int_data_date_bounds') }}
),

stock_at_date as (
    select rollforward.sku, rollforward.warehouse_id, rollforward.series_first_date, rollforward.on_hand_qty,
        bounds.as_of_date
    from rollforward
    inner join bounds on rollforward.date_day = bounds.as_of_date
    where rollforward.on_hand_qty > 0
),

inbound_lines as (
    select
        ledger.sku,
        ledger.warehouse_id,
        ledger.movement_date as layer_date,
        ledger.movement_class as layer_source,
        ledger.qty as layer_qty,
        case when ledger.movement_class = 'receipt' then ledger.unit_cost end as own_unit_cost,
        0 as is_opening,
        ledger.source_document_id,
        ledger.source_line_no
    from ledger
    inner join stock_at_date
        on ledger.sku = stock_at_date.sku
        and ledger.warehouse_id = stock_at_date.warehouse_id
    where ledger.qty > 0
        and ledger.movement_date <= stock_at_date.as_of_date
),

opening_layers as (
    -- unbounded: takes whatever the inbound lines leave unexplained
    select
        sku,
        warehouse_id,
        series_first_date as layer_date,
        'opening_balance' as layer_source,
        on_hand_qty as layer_qty,
        cast(null as {{ dbt.type_float() }}) as own_unit_cost,
        1 as is_opening,
        cast(null as {{ dbt.type_string() }}) as source_document_id,
        cast(null as {{ dbt.type_string() }}) as source_line_no
    from stock_at_date
),

layers as (
    select * from inbound_lines
    union all
    select * from opening_layers
),

consumed as (
    select
        layers.*,
        stock_at_date.on_hand_qty,
        stock_at_date.as_of_date,
        coalesce(sum(layers.layer_qty) over (
            partition by layers.sku, layers.warehouse_id
            order by layers.layer_date desc, layers.is_opening, layers.source_document_id desc,
                layers.source_line_no desc
            rows between unbounded preceding and 1 preceding
        ), 0) as newer_qty
    from layers
    inner join stock_at_date
        on layers.sku = stock_at_date.sku
        and layers.warehouse_id = stock_at_date.warehouse_id
),

remaining as (
    select
        *,
        case
            when on_hand_qty - newer_qty <= 0 then 0
            when on_hand_qty - newer_qty < layer_qty then on_hand_qty - newer_qty
            else layer_qty
        end as remaining_qty,
        {{ dbt.datediff('layer_date', 'as_of_date', 'day') }} as age_days
    from consumed
),

final as (
    select
        remaining.sku,
        remaining.warehouse_id,
        remaining.as_of_date,
        remaining.layer_date,
        remaining.layer_source,
        remaining.source_document_id,
        remaining.source_line_no,
        case when remaining.is_opening = 1 then null else remaining.layer_qty end as layer_qty,
        remaining.remaining_qty,
        coalesce(remaining.own_unit_cost, daily_stock.unit_cost) as unit_cost,
        remaining.remaining_qty * coalesce(remaining.own_unit_cost, daily_stock.unit_cost) as remaining_value,
        remaining.age_days,
        case
            when remaining.age_days <= 30 then '0-30'
            when remaining.age_days <= 60 then '31-60'
            when remaining.age_days <= 90 then '61-90'
            when remaining.age_days <= 180 then '91-180'
            when remaining.age_days <= 365 then '181-365'
            else 'over_365'
        end as age_bucket
    from remaining
    left join daily_stock
        on remaining.sku = daily_stock.sku
        and remaining.warehouse_id = daily_stock.warehouse_id
        and remaining.layer_date = daily_stock.date_day
    where remaining.remaining_qty > 0
)

select * from final
