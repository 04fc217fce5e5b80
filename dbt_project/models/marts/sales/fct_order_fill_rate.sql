{#
    Order fill rate and OTIF by month x warehouse x customer. An order is evaluated per shipping
    warehouse (an order split across warehouses counts once in each), on its counted lines only
    (see int_sales_order_lines_evaluated); its month is the month of its earliest order date.
    Incremental by month (macros/incremental.sql): int_sales_order_lines_evaluated says from which month
    its lines changed since this table was last built; an order with a changed line can have its month
    earlier still, so the rebuild starts at the month of the earliest line of those orders, and reads
    every line of the orders that have a line from that month on.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='rebuild_from',
    unique_key='month_start',
    on_schema_change='fail'
) }}
{% if is_incremental() -%}
{%- set lines = ref('int_sales_order_lines_evaluated') -%}
{%- set changed_from = incremental_rebuild_from(
    'month_start', grain='month', raw_changes=false, upstream=[(lines, 'month_start')]) -%}
{%- set rebuild_from = date_literal_of(
    'select least(' ~ changed_from ~ ', coalesce(cast(' ~ dbt.date_trunc('month', 'min(order_date)')
    ~ ' as date), ' ~ changed_from ~ ')) from ' ~ lines ~ ' where order_id in (select order_id from '
    ~ lines ~ ' where order_date >= ' ~ changed_from ~ ')') -%}
{%- set read_from = date_literal_of(
    'select least(' ~ rebuild_from ~ ', coalesce(min(order_date), ' ~ rebuild_from ~ ')) from ' ~ lines
    ~ ' where order_id in (select order_id from ' ~ lines ~ ' where order_date >= ' ~ rebuild_from ~ ')') -%}
{%- endif %}
with order_lines as (
    select * from {{ ref('int_sales_order_lines_evaluated') }}
    where is_counted
    {% if is_incremental() %}and order_date >= {{ read_from }}{% endif %}
),

orders as (
    select
        order_id,
        warehouse_id,
        min(month_start) as month_start,
        max(customer_id) as customer_id,
        count(*) as order_lines,
        sum(case when is_complete then 1 else 0 end) as lines_shipped_complete,
        sum(case when is_on_time_in_full then 1 else 0 end) as lines_on_time_in_full
    from order_lines
    group by order_id, warehouse_id
),

monthly as (
    select
        month_start,
        warehouse_id,
        customer_id,
        count(*) as orders,
        sum(case when lines_shipped_complete = order_lines then 1 else 0 end) as orders_shipped_complete,
        sum(case when lines_on_time_in_full = order_lines then 1 else 0 end) as orders_on_time_in_full,
        sum(order_lines) as order_lines,
        sum(lines_shipped_complete) as lines_shipped_complete
    from orders
    group by month_start, warehouse_id, customer_id
),

final as (
    select
        month_start,
        warehouse_id,
        customer_id,
        orders,
        orders_shipped_complete,
        orders_on_time_in_full,
        {{ safe_divide('orders_shipped_complete', 'orders') }} as order_fill_rate,
        {{ safe_divide('orders_on_time_in_full', 'orders') }} as otif_rate,
        order_lines,
        lines_shipped_complete,
        {{ safe_divide('lines_shipped_complete', 'order_lines') }} as line_fill_rate,
        {{ current_load_id() }} as built_from_load_id
    from monthly
    {% if is_incremental() %}where month_start >= {{ rebuild_from }}{% endif %}
)

select * from final
{% if is_incremental() %}{{ incremental_rebuild_marker(rebuild_from) }}{% endif %}
