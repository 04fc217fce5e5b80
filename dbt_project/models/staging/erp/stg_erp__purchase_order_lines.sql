with source as (
    {{ latest_rows(source('erp', 'purchase_orders'), ['po_id', 'line_no']) }}
),

renamed as (
    select
        po_id,
        line_no,
        order_date,
        supplier_id,
        sku,
        warehouse_id,
        ordered_qty * coalesce(unit_factor, 1) as ordered_qty,
        expected_date,
        unit_cost / coalesce(nullif(unit_factor, 0), 1) as unit_cost,
        upper(coalesce(currency, '{{ var("base_currency") }}')) as currency,
        coalesce(unit_factor, 1) as unit_factor,
        coalesce(line_status, 'open') as line_status,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
