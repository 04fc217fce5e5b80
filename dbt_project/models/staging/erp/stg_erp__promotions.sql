with source as (
    {{ latest_rows(source('erp', 'promotions'), ['promo_id', 'sku', 'warehouse_id']) }}
),

renamed as (
    select
        promo_id,
        sku,
        warehouse_id,
        warehouse_id = '*' as applies_to_all_warehouses,
        start_date,
        end_date,
        discount_pct,
        promo_type,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
