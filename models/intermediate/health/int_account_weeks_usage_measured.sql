{#- Usage measured at each scored week's as-of date D, per active account (SPEC §5, §6, §7.2):
    license utilization = sum of monthly_active_users on per-seat products / licensed seats; for
    accounts without per-seat items, average daily usage over the capacity window / purchased
    capacity (seed usage_capacity), else not applicable. API days in the trailing 28 days; active
    departments at D (the value lookback_days earlier, for U6, is
    int_account_weeks_earlier_departments_measured); the 13-week least-squares slope of weekly
    api_calls + storage relative to its mean. -#}
with

active as (

    select * from {{ ref('int_account_weeks_active') }}

),

held as (

    select * from {{ ref('int_account_product_weeks_held') }}

),

usage_weekly as (

    select * from {{ ref('int_usage_weekly_rolled_up') }}

),

usage_days as (

    select * from {{ ref('int_account_usage_days_rolled_up') }}

),

capacity as (

    select * from {{ ref('usage_capacity') }}

),

product_usage_at_d as (

    {#- each held product's usage in D's ISO week (its latest row within the trailing 7 days) -#}
    select
        held.week_start,
        held.account_id,
        held.product_id,
        held.pricing_model,
        held.quantity,
        coalesce(usage_weekly.monthly_active_users, 0) as monthly_active_users,
        coalesce(usage_weekly.weekly_active_users, 0) as weekly_active_users,
        coalesce(usage_weekly.active_departments, 0) as active_departments
    from held
    left join usage_weekly
        on held.account_id = usage_weekly.account_id
        and held.product_id = usage_weekly.product_id
        and held.week_start = usage_weekly.week_start

),

seat_usage as (

    select
        week_start,
        account_id,
        sum(case when pricing_model = 'per_seat' then quantity else 0 end) as licensed_seats,
        sum(case when pricing_model = 'per_seat' then monthly_active_users else 0 end) as seat_monthly_active_users,
        sum(case when pricing_model = 'per_seat' then weekly_active_users else 0 end) as seat_weekly_active_users,
        max(monthly_active_users) as max_product_monthly_active_users,
        max(active_departments) as active_departments
    from product_usage_at_d
    group by week_start, account_id

),

capacity_usage as (

    {#- usage-priced products with a capacity definition: average daily usage in the window vs
        quantity x units per quantity per day -#}
    select
        held.week_start,
        held.account_id,
        sum(held.quantity * capacity.units_per_quantity_per_day) as capacity_per_day,
        max(capacity.window_days) as window_days
    from held
    inner join capacity
        on held.product_line = capacity.product_line
    where held.pricing_model = 'usage'
    group by held.week_start, held.account_id

),

capacity_products as (

    {#- the usage-priced products held by an account that have a capacity definition: only their
        usage consumes the capacity (SPEC §5 "where the product has it", decision 156) -#}
    select
        capacity_usage.week_start,
        capacity_usage.account_id,
        held.product_id,
        capacity_usage.window_days
    from capacity_usage
    inner join held
        on capacity_usage.week_start = held.week_start
        and capacity_usage.account_id = held.account_id
        and held.pricing_model = 'usage'
    inner join capacity
        on held.product_line = capacity.product_line

),

capacity_consumed as (

    {#- their weekly API calls of the window_days back from the scored week's Monday -#}
    {{ trailing_window_aggregate(
        'capacity_products', 'usage_weekly', 'week_start', days='capacity_products.window_days',
        anchor='week_start', join_columns=['account_id', 'product_id'],
        aggregates=[('consumed', 'sum(usage_weekly.api_calls)')]) }}

),

series_weeks as (

    {#- the scored weeks and the 12 weeks before each (the 13-week trend): gap-free behind every
        scored week, so in the dense series below a row offset of j is exactly j weeks -#}
    {{ weeks_reached('active', 13) }}

),

series_accounts as (

    select distinct account_id
    from active

),

account_week_consumption as (

    {#- y = api_calls + storage (latest of the week), summed over the account's products, in the
        weeks of the series only -#}
    select
        account_id,
        week_start,
        sum(api_calls + coalesce(storage_gb, 0)) as y
    from usage_weekly
    where week_start >= (select min(series_weeks.week_start) from series_weeks)
    group by account_id, week_start

),

dense_series as (

    {#- one row per scored account and series week, 0 where the week has no usage -#}
    select
        series_accounts.account_id,
        series_weeks.week_start,
        coalesce(usage_days.api_active_days, 0) as api_active_days,
        coalesce(account_week_consumption.y, 0) as y
    from series_accounts
    cross join series_weeks
    left join usage_days
        on series_accounts.account_id = usage_days.account_id
        and series_weeks.week_start = usage_days.week_start
    left join account_week_consumption
        on series_accounts.account_id = account_week_consumption.account_id
        and series_weeks.week_start = account_week_consumption.week_start

),

trailing_sums as (

    {#- window frames over the dense weekly series (no gaps behind a scored week, see series_weeks):
        `rows between 3 preceding` is the 4 ISO weeks [W - 21 days, W] of the api days, 12
        preceding the 13 weeks of the trend; x = 0 (12 weeks back) ... 12 (W) weights lag(y, j) by
        12 - j. The weeks the range join [week_start - 7 x (weeks - 1), week_start] kept, exactly. -#}
    {%- set series = 'partition by account_id order by week_start' %}
    select
        account_id,
        week_start,
        sum(api_active_days) over ({{ series }} rows between 3 preceding and current row) as api_active_days_28d,
        sum(y) over ({{ series }} rows between 12 preceding and current row) as sum_y,
        12 * y
        {%- for weeks_back in range(1, 12) %}
        + {{ 12 - weeks_back }} * lag(y, {{ weeks_back }}) over ({{ series }})
        {%- endfor %} as sum_xy
    from dense_series

),

consumption_trend as (

    {#- least squares over the 13 weeks, weeks without usage counting as 0:
        slope = (n*sum(xy) - sum(x)*sum(y)) / (n*sum(x^2) - sum(x)^2), n = 13, sum(x) = 78, sum(x^2) = 650 -#}
    select
        week_start,
        account_id,
        (13 * sum_xy - 78 * sum_y) / (13.0 * 650 - 78 * 78) as slope,
        sum_y / 13.0 as mean_y
    from trailing_sums

),

final as (

    select
        active.week_start,
        active.as_of_date,
        active.account_id,
        coalesce(seat_usage.licensed_seats, 0) as licensed_seats,
        cast(coalesce(seat_usage.seat_monthly_active_users, 0) as bigint) as seat_monthly_active_users,
        cast(coalesce(seat_usage.seat_weekly_active_users, 0) as bigint) as seat_weekly_active_users,
        cast(coalesce(seat_usage.max_product_monthly_active_users, 0) as bigint) as max_product_monthly_active_users,
        {#- exact decimal ratios, so a band edge such as exactly 75% is exactly 0.75 -#}
        case
            when coalesce(seat_usage.licensed_seats, 0) > 0
                then {{ pp_ratio('seat_usage.seat_monthly_active_users', 'seat_usage.licensed_seats') }}
            when capacity_usage.capacity_per_day > 0
                then {{ pp_ratio('coalesce(capacity_consumed.consumed, 0)',
                                 'capacity_usage.window_days * capacity_usage.capacity_per_day') }}
        end as license_utilization,
        case
            when coalesce(seat_usage.licensed_seats, 0) > 0 then 'seats'
            when capacity_usage.capacity_per_day > 0 then 'capacity'
            else 'not_applicable'
        end as utilization_basis,
        case
            when coalesce(seat_usage.licensed_seats, 0) > 0
                then {{ pp_ratio('seat_usage.seat_weekly_active_users', 'seat_usage.licensed_seats') }}
        end as usage_frequency,
        cast(coalesce(api_days.api_active_days_28d, 0) as bigint) as api_active_days_28d,
        cast(coalesce(seat_usage.active_departments, 0) as bigint) as active_departments,
        case
            when consumption_trend.mean_y > 0 then consumption_trend.slope / consumption_trend.mean_y
        end as consumption_trend_per_week
    from active
    left join seat_usage
        on active.week_start = seat_usage.week_start and active.account_id = seat_usage.account_id
    left join capacity_usage
        on active.week_start = capacity_usage.week_start and active.account_id = capacity_usage.account_id
    left join capacity_consumed
        on active.week_start = capacity_consumed.week_start and active.account_id = capacity_consumed.account_id
    left join trailing_sums as api_days
        on active.week_start = api_days.week_start and active.account_id = api_days.account_id
    left join consumption_trend
        on active.week_start = consumption_trend.week_start and active.account_id = consumption_trend.account_id

)

select * from final
