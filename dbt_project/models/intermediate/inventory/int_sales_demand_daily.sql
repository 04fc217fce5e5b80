{#
    Demand per SKU x warehouse x order day: units ordered on lines that were not cancelled (open or
    closed; short-closed lines count in full, they are demand that was not met), and their value at the
    selling price in the base currency. Sparse: only days with orders.
#}
with sales_order_lines as (
    select * from {{ ref('stg_erp__sales_order_lines') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

final as (
    select
        sales_order_lines.sku,
        sales_order_lines.warehouse_id,
        sales_order_lines.order_date,
        sum(sales_order_lines.ordered_qty) as ordered_qty,
        count(*) as order_line_count,
        sum(case when sales_order_lines.unit_price is not null then sales_order_lines.ordered_qty else 0 end)
            as priced_ordered_qty,
        sum(sales_order_lines.ordered_qty * sales_order_lines.unit_price * fx_rates.rate) as ordered_value
    from sales_order_lines
    left join fx_rates
        on sales_order_lines.currency = fx_rates.currency
        and sales_order_lines.order_date = fx_rates.rate_date
    where sales_order_lines.line_status <> 'cancelled'
    group by sales_order_lines.sku, sales_order_lines.warehouse_id, sales_order_lines.order_date
)

select * from final
