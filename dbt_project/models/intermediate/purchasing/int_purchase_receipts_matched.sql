{#
    Receipt lines matched to the purchase order line they fulfil: on po_id + po_line_no, or, when the
    receipt names no PO line, on po_id + sku + warehouse. lead_time_days of a receipt line = receipt
    date - PO order date. Receipts that match no PO line are kept with has_po_line = false.
#}
with receipts as (
    select * from {{ ref('stg_erp__receipts') }}
),

po_lines as (
    select * from {{ ref('stg_erp__purchase_order_lines') }}
),

matched as (
    select
        receipts.receipt_id,
        receipts.line_no,
        receipts.receipt_date,
        receipts.sku,
        receipts.warehouse_id,
        receipts.received_qty,
        receipts.po_id,
        coalesce(receipts.po_line_no, po_lines.line_no) as po_line_no,
        coalesce(po_lines.supplier_id, receipts.supplier_id) as supplier_id,
        po_lines.order_date,
        po_lines.expected_date,
        po_lines.line_no is not null as has_po_line
    from receipts
    left join po_lines
        on po_lines.po_id = receipts.po_id
        and (
            po_lines.line_no = receipts.po_line_no
            or (
                receipts.po_line_no is null
                and po_lines.sku = receipts.sku
                and po_lines.warehouse_id = receipts.warehouse_id
            )
        )
),

final as (
    select
        receipt_id,
        line_no,
        receipt_date,
        sku,
        warehouse_id,
        received_qty,
        po_id,
        po_line_no,
        supplier_id,
        order_date,
        expected_date,
        has_po_line,
        {{ dbt.datediff('order_date', 'receipt_date', 'day') }} as lead_time_days,
        receipt_date <= expected_date as is_on_time
    from matched
)

select * from final
