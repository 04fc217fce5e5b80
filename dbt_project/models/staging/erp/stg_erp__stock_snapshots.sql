with source as (
    {{ latest_rows(source('erp', 'stock_snapshots'), ['snapshot_date', 'sku', 'warehouse_id']) }}
),

renamed as (
    select
        snapshot_date,
        sku,
        warehouse_id,
        on_hand_qty,
        coalesce(unit_cost, stock_value / nullif(on_hand_qty, 0)) as unit_cost,
        coalesce(stock_value, on_hand_qty * unit_cost) as stock_value,
        upper(coalesce(currency, '{{ var("base_currency") }}')) as currency,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
