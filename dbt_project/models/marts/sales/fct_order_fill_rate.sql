{#
    Order fill rate and OTIF by month x warehouse x customer. An order is evaluated per shipping
    warehouse (an order split across warehouses counts once in each), on its counted lines only
    (see int_sales_order_lines_evaluated); its month is the month of its earliest order date.
#}
with order_lines as (
    select * from {{ ref('int_sales_order_lines_evaluated') }}
    where is_counted
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
        {{ safe_divide('lines_shipped_complete', 'order_lines') }} as line_fill_rate
    from monthly
)

select * from final
