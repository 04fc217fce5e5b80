with source as (
    {{ latest_rows(source('erp', 'fx_rates'), ['rate_date', 'currency']) }}
),

renamed as (
    select
        rate_date,
        upper(currency) as currency,
        rate,
        upper(coalesce(base_currency, '{{ var("base_currency") }}')) as base_currency,
        _source_file,
        _source_sheet,
        _source_row,
        _load_id
    from source
)

select * from renamed
