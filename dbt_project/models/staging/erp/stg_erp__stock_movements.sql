with source as (
    {{ latest_rows(source('erp', 'stock_movements'), ['movement_id', 'line_no']) }}
),

renamed as (
    select
        movement_id,
        line_no,
        movement_date,
        sku,
        warehouse_id,
        movement_type,
        qty,
        counterpart_warehouse_id,
        unit_cost,
        reason,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
