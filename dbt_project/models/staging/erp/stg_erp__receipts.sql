with source as (
    {{ latest_rows(source('erp', 'receipts'), ['receipt_id', 'line_no']) }}
),

renamed as (
    select
        receipt_id,
        line_no,
        receipt_date,
        sku,
        warehouse_id,
        received_qty * coalesce(unit_factor, 1) as received_qty,
        po_id,
        po_line_no,
        supplier_id,
        unit_cost / coalesce(nullif(unit_factor, 0), 1) as unit_cost,
        upper(coalesce(currency, '{{ var("base_currency") }}')) as currency,
        coalesce(unit_factor, 1) as unit_factor,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
