{# One row per day over the span of the data (see int_data_date_bounds); date_spine's end is exclusive. #}
with spine as (
    {{ dbt.date_spine(
        'day',
        "(select first_date from " ~ ref('int_data_date_bounds') ~ ")",
        dbt.dateadd('day', 1, "(select last_date from " ~ ref('int_data_date_bounds') ~ ")")
    ) }}
),

final as (
    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        extract(year from date_day) as year_number,
        extract(month from date_day) as month_number,
        {{ day_of_week('date_day') }} as iso_day_of_week,
        {{ day_of_week('date_day') }} in (6, 7) as is_weekend,
        cast({{ dbt.last_day('date_day', 'month') }} as date) = cast(date_day as date) as is_month_end
    from spine
)

select * from final
