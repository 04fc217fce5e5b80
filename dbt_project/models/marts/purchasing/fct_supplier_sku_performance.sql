{#
    Supplier x SKU delivery performance over the whole history (the lead-time inputs of the
    replenishment engine): same measures as fct_supplier_performance. The quoted lead time is the
    item's when the item names this supplier as its main supplier, else the supplier's.
#}
with po_lines as (
    select * from {{ ref('int_purchase_order_lines_evaluated') }}
    where line_status <> 'cancelled'
),

suppliers as (
    select supplier_id, lead_time_days from {{ ref('stg_erp__suppliers') }}
),

items as (
    select sku, supplier_id, lead_time_days from {{ ref('stg_erp__items') }}
),

aggregated as (
    select
        supplier_id,
        sku,
        {{ sales_supplier_aggregates() }}
    from po_lines
    group by supplier_id, sku
),

final as (
    select
        aggregated.supplier_id,
        aggregated.sku,
        coalesce(
            case when items.supplier_id = aggregated.supplier_id then items.lead_time_days end,
            suppliers.lead_time_days
        ) as quoted_lead_time_days,
        aggregated.po_lines,
        aggregated.po_lines_due,
        aggregated.po_lines_delivered,
        aggregated.po_lines_on_time,
        {{ safe_divide('aggregated.po_lines_on_time', 'aggregated.po_lines_due') }} as on_time_rate,
        aggregated.po_lines_received_in_full,
        {{ safe_divide('aggregated.po_lines_received_in_full', 'aggregated.po_lines_due') }} as in_full_rate,
        aggregated.units_ordered,
        aggregated.units_received,
        {{ safe_divide('aggregated.units_received', 'aggregated.units_ordered') }} as received_fill_rate,
        aggregated.lead_time_lines,
        aggregated.lead_time_days_sum,
        aggregated.lead_time_days_sum_squares,
        aggregated.lead_time_days_mean,
        aggregated.lead_time_days_std,
        aggregated.lead_time_days_min,
        aggregated.lead_time_days_max,
        aggregated.delivery_delay_days_mean,
        aggregated.first_order_date,
        aggregated.last_order_date
    from aggregated
    left join suppliers
        on suppliers.supplier_id = aggregated.supplier_id
    left join items
        on items.sku = aggregated.sku
)

select * from final
