{#
    Every sales order line, classified for fill-rate counting, with its due date, completeness,
    punctuality and base-currency values. Rules (also in the yml):
    - cancelled lines, lines with no positive ordered quantity (returns or credits exported as
      negative lines) and lines whose shipped quantity is unknown (null) are not counted;
    - open lines still short whose latest on-time date is after the data date are not yet due and
      not counted; overdue open lines are counted and are not complete;
    - complete = shipped_qty >= ordered_qty; shipped units are capped at the ordered quantity;
    - due date = requested_date, else order_date + var sales_default_due_days; on time = the last
      shipment on or before due date + var on_time_grace_days.
    Incremental by month of the order date (macros/incremental.sql), a table rather than a view: the
    fill-rate marts and seven data tests read it. A run rebuilds whole months from the month of the
    earliest date a new load of sales orders or FX rates touches, or of the earliest line that was not
    yet due at the last build (count_status 'not_yet_due'): the data date has moved on since, so it may
    be due now although no new version of it arrived.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='month_start',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set rebuild_from = incremental_rebuild_from(
    'month_start', grain='month', raw_changes=['sales_orders', 'fx_rates'],
    also=["select min(month_start) from " ~ this ~ " where count_status = 'not_yet_due'"]) %}
{%- endif %}
with order_lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
    {% if is_incremental() %}where order_date >= {{ rebuild_from }}{% endif %}
),

fx_rates as (
    select rate_date, currency, rate from {{ ref('int_fx_rates_daily') }}
),

data_dates as (
    select last_date as data_date from {{ ref('int_data_date_bounds') }}
),

dated as (
    select
        order_lines.order_id,
        order_lines.line_no,
        order_lines.order_date,
        cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date) as month_start,
        order_lines.sku,
        order_lines.warehouse_id,
        coalesce(order_lines.customer_id, 'unknown') as customer_id,
        order_lines.line_status,
        order_lines.ordered_qty,
        order_lines.shipped_qty,
        order_lines.ship_date,
        order_lines.requested_date,
        coalesce(
            order_lines.requested_date,
            {{ add_days('order_lines.order_date', var('sales_default_due_days')) }}
        ) as due_date,
        order_lines.unit_price,
        order_lines.currency,
        data_dates.data_date
    from order_lines
    cross join data_dates
),

classified as (
    select
        dated.*,
        {{ add_days('due_date', var('on_time_grace_days')) }} as latest_on_time_date,
        case
            when line_status = 'cancelled' then 'cancelled'
            when ordered_qty is null or ordered_qty <= 0 then 'no_ordered_qty'
            when shipped_qty is null then 'shipped_qty_unknown'
            when line_status = 'open'
                and shipped_qty < ordered_qty
                and {{ add_days('due_date', var('on_time_grace_days')) }} > data_date
                then 'not_yet_due'
            else 'counted'
        end as count_status
    from dated
),

evaluated as (
    select
        classified.*,
        count_status = 'counted' as is_counted,
        case when count_status = 'counted' then shipped_qty >= ordered_qty end as is_complete,
        case
            when count_status = 'counted' then coalesce(ship_date <= latest_on_time_date, false)
        end as is_on_time,
        case when count_status = 'counted' then
            case when shipped_qty > ordered_qty then ordered_qty else shipped_qty end
        end as filled_qty
    from classified
),

final as (
    select
        evaluated.order_id,
        evaluated.line_no,
        evaluated.order_date,
        evaluated.month_start,
        evaluated.sku,
        evaluated.warehouse_id,
        evaluated.customer_id,
        evaluated.line_status,
        evaluated.count_status,
        evaluated.is_counted,
        evaluated.ordered_qty,
        evaluated.shipped_qty,
        evaluated.filled_qty,
        evaluated.ship_date,
        evaluated.requested_date,
        evaluated.due_date,
        evaluated.latest_on_time_date,
        evaluated.is_complete,
        evaluated.is_on_time,
        evaluated.is_complete and evaluated.is_on_time as is_on_time_in_full,
        evaluated.unit_price,
        evaluated.currency,
        fx_rates.rate as fx_rate,
        evaluated.ordered_qty * evaluated.unit_price * fx_rates.rate as value_ordered,
        evaluated.filled_qty * evaluated.unit_price * fx_rates.rate as value_shipped,
        {{ current_load_id() }} as built_from_load_id
    from evaluated
    left join fx_rates
        on fx_rates.rate_date = evaluated.order_date
        and fx_rates.currency = evaluated.currency
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
