{#
    One row per purchase order line with what was received against it and when. The lead time of a
    line is measured to its LAST receipt (the day the ordered quantity, or what the supplier
    short-closed, was all in: what a replenishment engine waits for), once the line is delivered:
    received in full, or closed with at least one receipt. Open lines still short are not
    delivered (their lead time is unknown yet). Due date = expected_date, else order_date + the
    supplier's quoted lead time; on time = delivered on or before due date + var
    po_on_time_grace_days. A line is due (counted in on-time rates) once delivered or once its
    on-time date is before the data date; cancelled lines are never counted.
#}
with po_lines as (
    select * from {{ ref('stg_erp__purchase_order_lines') }}
),

receipts as (
    select * from {{ ref('int_purchase_receipts_matched') }}
    where has_po_line
),

suppliers as (
    select supplier_id, lead_time_days from {{ ref('stg_erp__suppliers') }}
),

data_dates as (
    select last_date as data_date from {{ ref('int_data_date_bounds') }}
),

received as (
    select
        po_id,
        po_line_no,
        count(*) as receipt_lines,
        sum(received_qty) as received_qty,
        min(receipt_date) as first_receipt_date,
        max(receipt_date) as last_receipt_date
    from receipts
    group by po_id, po_line_no
),

joined as (
    select
        po_lines.po_id,
        po_lines.line_no,
        po_lines.supplier_id,
        po_lines.sku,
        po_lines.warehouse_id,
        po_lines.order_date,
        po_lines.expected_date,
        coalesce(
            po_lines.expected_date,
            {{ add_days('po_lines.order_date', 'suppliers.lead_time_days') }}
        ) as due_date,
        po_lines.line_status,
        po_lines.ordered_qty,
        coalesce(received.received_qty, 0) as received_qty,
        coalesce(received.receipt_lines, 0) as receipt_lines,
        received.first_receipt_date,
        received.last_receipt_date,
        data_dates.data_date
    from po_lines
    left join received
        on received.po_id = po_lines.po_id
        and received.po_line_no = po_lines.line_no
    left join suppliers
        on suppliers.supplier_id = po_lines.supplier_id
    cross join data_dates
),

evaluated as (
    select
        joined.*,
        {{ add_days('due_date', var('po_on_time_grace_days')) }} as latest_on_time_date,
        line_status <> 'cancelled'
            and receipt_lines > 0
            and (received_qty >= ordered_qty or line_status = 'closed') as is_delivered
    from joined
),

final as (
    select
        po_id,
        line_no,
        supplier_id,
        sku,
        warehouse_id,
        order_date,
        expected_date,
        due_date,
        line_status,
        ordered_qty,
        received_qty,
        receipt_lines,
        first_receipt_date,
        last_receipt_date,
        is_delivered,
        case when is_delivered then last_receipt_date end as delivered_date,
        line_status <> 'cancelled' and received_qty >= ordered_qty as is_received_in_full,
        line_status <> 'cancelled'
            and (is_delivered or latest_on_time_date < data_date) as is_due,
        line_status <> 'cancelled'
            and is_delivered
            and coalesce(last_receipt_date <= latest_on_time_date, false) as is_on_time,
        case
            when is_delivered then {{ dbt.datediff('order_date', 'last_receipt_date', 'day') }}
        end as lead_time_days,
        case
            when receipt_lines > 0 then {{ dbt.datediff('order_date', 'first_receipt_date', 'day') }}
        end as first_receipt_lead_time_days,
        case
            when is_delivered then {{ dbt.datediff('due_date', 'last_receipt_date', 'day') }}
        end as delivery_delay_days
    from evaluated
)

select * from final
