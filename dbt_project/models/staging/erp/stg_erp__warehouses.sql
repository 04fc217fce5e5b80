with source as (
    {{ latest_rows(source('erp', 'warehouses'), ['warehouse_id']) }}
),

renamed as (
    select
        warehouse_id,
        warehouse_name,
        city,
        region,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
