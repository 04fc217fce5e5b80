with source as (
    {{ latest_rows(source('erp', 'suppliers'), ['supplier_id']) }}
),

renamed as (
    select
        supplier_id,
        supplier_name,
        country,
        upper(coalesce(currency, '{{ var("base_currency") }}')) as currency,
        lead_time_days,
        moq,
        order_days,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
