{#
    One rate per day and currency, base-currency units per one unit of currency: the latest rate
    published on or before the day (ERPs publish on business days). The base currency converts at 1.
    Portable as-of logic: a calendar join plus a window, no ASOF JOIN.
#}
with rates as (
    select rate_date, currency, rate
    from {{ ref('stg_erp__fx_rates') }}
    where base_currency = '{{ var("base_currency") }}'
),

calendar as (
    select date_day from {{ ref('dim_dates') }}
),

currencies as (
    select distinct currency from rates
),

grid as (
    select calendar.date_day, currencies.currency, rates.rate
    from calendar
    cross join currencies
    left join rates
        on rates.currency = currencies.currency
        and rates.rate_date = calendar.date_day
),

filled as (
    select
        date_day,
        currency,
        -- last non-null rate up to this day: count the rates seen so far, take that group's rate
        max(rate) over (partition by currency, rate_group) as rate
    from (
        select
            *,
            count(rate) over (partition by currency order by date_day rows between unbounded preceding and current row)
                as rate_group
        from grid
    ) as grouped
),

earliest as (
    -- days before a currency's first published rate take that first rate
    select currency, rate as first_rate
    from (
        select currency, rate, row_number() over (partition by currency order by rate_date) as rn
        from rates
    ) as ranked
    where rn = 1
),

final as (
    select
        filled.date_day as rate_date,
        filled.currency,
        coalesce(filled.rate, earliest.first_rate) as rate,
        filled.rate is null as is_backfilled
    from filled
    inner join earliest on filled.currency = earliest.currency
    union all
    select date_day, '{{ var("base_currency") }}', 1.0, false
    from calendar
)

select * from final
