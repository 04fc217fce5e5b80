with source as (
    {{ latest_rows(source('erp', 'items'), ['sku']) }}
),

renamed as (
    select
        sku,
        sku_name,
        spec,
        coalesce(category, 'uncategorised') as category,
        coalesce(category_name, category, 'uncategorised') as category_name,
        brand,
        uom,
        unit_cost,
        unit_price,
        upper(coalesce(currency, '{{ var("base_currency") }}')) as currency,
        supplier_id,
        moq,
        pack_size,
        max_order_qty,
        lead_time_days,
        safety_stock_qty,
        min_qty,
        max_qty,
        coalesce(lower(status), 'active') as status,
        launch_date,
        discontinued_date,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
