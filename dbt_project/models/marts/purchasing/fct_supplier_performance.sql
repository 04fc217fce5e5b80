{#
    Supplier delivery performance over the whole history, one row per supplier with purchase order
    lines that were not cancelled. Lead time = PO order date to the last receipt of a delivered line
    (see int_purchase_order_lines_evaluated); std is the sample standard deviation.
#}
with po_lines as (
    select * from {{ ref('int_purchase_order_lines_evaluated') }}
    where line_status <> 'cancelled'
),

suppliers as (
    select supplier_id, supplier_name, lead_time_days from {{ ref('stg_erp__suppliers') }}
),

aggregated as (
    select
        supplier_id,
        {{ sales_supplier_aggregates() }}
    from po_lines
    group by supplier_id
),

final as (
    select
        aggregated.supplier_id,
        suppliers.supplier_name,
        suppliers.lead_time_days as quoted_lead_time_days,
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
)

select * from final
