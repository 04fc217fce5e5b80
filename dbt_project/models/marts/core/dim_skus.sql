{#
    One row per SKU of the item master: its attributes, ABC class by COGS value, XYZ class by the
    variability of weekly demand, and the Syntetos-Boylan demand pattern.
    - ABC: COGS (fct_inventory_turnover.cogs_value, all warehouses) over the months that overlap the
      last var abc_window_days days up to the data date. SKUs ranked by COGS (desc, then sku); a SKU
      whose preceding SKUs hold less than var abc_a_share of the COGS is A (the SKU that crosses the
      cut-off is in the class, so the top SKU is always A), less than var abc_b_share B, else C
      (no positive COGS -> C).
    - Weekly demand: units ordered (all lines but cancelled and non-positive ones, whatever shipped),
      all warehouses, per ISO week, over the last var xyz_window_weeks complete weeks of data,
      from the SKU's first week with demand on (weeks before a SKU's first order are not zeros).
    - XYZ: CV = population std / mean of weekly demand; < var xyz_x_max_cv -> X, < var xyz_y_max_cv
      -> Y, else Z; null without demand in the window.
    - Pattern: ADI = observed weeks / weeks with demand, CV2 = (population std / mean)^2 of the
      non-zero weekly quantities; smooth, erratic, intermittent, lumpy at vars sbc_adi_threshold and
      sbc_cv2_threshold; no_demand without demand in the window.
#}
with items as (
    select * from {{ ref('stg_erp__items') }}
),

suppliers as (
    select supplier_id, supplier_name from {{ ref('stg_erp__suppliers') }}
),

turnover as (
    select sku, month_start, cogs_value from {{ ref('fct_inventory_turnover') }}
),

order_lines as (
    select sku, order_date, ordered_qty
    from {{ ref('int_sales_order_lines_evaluated') }}
    where count_status not in ('cancelled', 'no_ordered_qty')
),

calendar as (
    select date_day, week_start from {{ ref('dim_dates') }}
),

data_dates as (
    select last_date as data_date from {{ ref('int_data_date_bounds') }}
),

abc_window as (
    select
        cast({{ dbt.date_trunc('month', add_days('data_date', 1 - var('abc_window_days'))) }} as date)
            as first_month
    from data_dates
),

sku_cogs as (
    select
        turnover.sku,
        sum(turnover.cogs_value) as abc_cogs_value
    from turnover
    cross join abc_window
    where turnover.month_start >= abc_window.first_month
    group by turnover.sku
),

abc_ranked as (
    select
        items.sku,
        coalesce(sku_cogs.abc_cogs_value, 0) as abc_cogs_value,
        case when sku_cogs.abc_cogs_value > 0 then sku_cogs.abc_cogs_value else 0 end as positive_cogs_value,
        row_number() over (order by coalesce(sku_cogs.abc_cogs_value, 0) desc, items.sku) as abc_rank
    from items
    left join sku_cogs on sku_cogs.sku = items.sku
),

abc_cumulative as (
    select
        abc_ranked.*,
        {{ safe_divide('positive_cogs_value', 'sum(positive_cogs_value) over ()') }} as abc_cogs_share,
        {{ safe_divide(
            'sum(positive_cogs_value) over (order by abc_rank rows between unbounded preceding and current row)',
            'sum(positive_cogs_value) over ()'
        ) }} as abc_cumulative_share,
        {{ safe_divide(
            'coalesce(sum(positive_cogs_value) over (order by abc_rank rows between unbounded preceding and 1 preceding), 0)',
            'sum(positive_cogs_value) over ()'
        ) }} as abc_preceding_share
    from abc_ranked
),

abc as (
    select
        abc_cumulative.*,
        case
            when positive_cogs_value = 0 then 'C'
            when abc_preceding_share < {{ var('abc_a_share') }} then 'A'
            when abc_preceding_share < {{ var('abc_b_share') }} then 'B'
            else 'C'
        end as abc_class
    from abc_cumulative
),

complete_weeks as (
    select week_start
    from calendar
    group by week_start
    having count(*) = 7
),

window_weeks as (
    select week_start
    from (
        select week_start, row_number() over (order by week_start desc) as weeks_back
        from complete_weeks
    ) as ranked
    where weeks_back <= {{ var('xyz_window_weeks') }}
),

weekly_demand as (
    select
        order_lines.sku,
        calendar.week_start,
        sum(order_lines.ordered_qty) as units_demanded
    from order_lines
    inner join calendar on calendar.date_day = order_lines.order_date
    group by order_lines.sku, calendar.week_start
),

first_demand as (
    select sku, min(week_start) as first_demand_week
    from weekly_demand
    group by sku
),

sku_weeks as (
    -- a dense grid: a week without orders is a zero, from the SKU's first week with demand
    select
        first_demand.sku,
        window_weeks.week_start,
        coalesce(weekly_demand.units_demanded, 0) as units_demanded
    from first_demand
    inner join window_weeks on window_weeks.week_start >= first_demand.first_demand_week
    left join weekly_demand
        on weekly_demand.sku = first_demand.sku
        and weekly_demand.week_start = window_weeks.week_start
),

variability as (
    select
        sku,
        count(*) as weeks_observed,
        sum(case when units_demanded > 0 then 1 else 0 end) as weeks_with_demand,
        avg(cast(units_demanded as {{ type_double() }})) as weekly_demand_mean,
        stddev_pop(cast(units_demanded as {{ type_double() }})) as weekly_demand_std,
        avg(case when units_demanded > 0 then cast(units_demanded as {{ type_double() }}) end)
            as demand_size_mean,
        stddev_pop(case when units_demanded > 0 then cast(units_demanded as {{ type_double() }}) end)
            as demand_size_std
    from sku_weeks
    group by sku
),

classified as (
    select
        variability.*,
        {{ safe_divide('weekly_demand_std', 'weekly_demand_mean') }} as demand_cv,
        {{ safe_divide('weeks_observed', 'weeks_with_demand') }} as adi,
        {{ safe_divide('demand_size_std * demand_size_std', 'demand_size_mean * demand_size_mean') }}
            as demand_size_cv2
    from variability
),

final as (
    select
        items.sku,
        items.sku_name,
        items.spec,
        items.category,
        items.category_name,
        items.brand,
        items.uom,
        items.unit_cost,
        items.unit_price,
        items.currency,
        items.supplier_id,
        suppliers.supplier_name,
        items.moq,
        items.pack_size,
        items.max_order_qty,
        items.lead_time_days,
        items.status,
        items.status = 'active' as is_active,
        items.launch_date,
        items.discontinued_date,
        abc.abc_cogs_value,
        abc.abc_cogs_share,
        abc.abc_cumulative_share,
        abc.abc_rank,
        abc.abc_class,
        coalesce(classified.weeks_observed, 0) as weeks_observed,
        coalesce(classified.weeks_with_demand, 0) as weeks_with_demand,
        classified.weekly_demand_mean,
        classified.weekly_demand_std,
        classified.demand_cv,
        case
            when classified.demand_cv is null then null
            when classified.demand_cv < {{ var('xyz_x_max_cv') }} then 'X'
            when classified.demand_cv < {{ var('xyz_y_max_cv') }} then 'Y'
            else 'Z'
        end as xyz_class,
        classified.adi,
        classified.demand_size_cv2,
        case
            when classified.adi is null then 'no_demand'
            when classified.adi < {{ var('sbc_adi_threshold') }}
                and classified.demand_size_cv2 < {{ var('sbc_cv2_threshold') }} then 'smooth'
            when classified.adi < {{ var('sbc_adi_threshold') }} then 'erratic'
            when classified.demand_size_cv2 < {{ var('sbc_cv2_threshold') }} then 'intermittent'
            else 'lumpy'
        end as demand_pattern
    from items
    left join suppliers on suppliers.supplier_id = items.supplier_id
    left join abc on abc.sku = items.sku
    left join classified on classified.sku = items.sku
)

select * from final
