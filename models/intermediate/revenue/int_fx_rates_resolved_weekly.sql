{#- The USD rate of every currency on each scored week's as-of date D: the latest rate_date <= D
    (SPEC §2); USD is 1. Weekly figures use it so that a week's values never depend on rates
    published after its Sunday (a month-end rate would). -#}
with

fx_rates as (

    select * from {{ ref('stg_billing__fx_rates') }}

),

subscriptions as ( -- noqa: ST03

    select * from {{ ref('stg_billing__subscriptions') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

latest_rate_dates as (

    select
        weeks.week_start,
        fx_rates.currency,
        max(fx_rates.rate_date) as rate_date
    from weeks
    inner join fx_rates
        on fx_rates.rate_date <= weeks.as_of_date
    where fx_rates.currency <> 'USD'
    group by weeks.week_start, fx_rates.currency

),

foreign_rates as (

    select
        latest_rate_dates.week_start,
        latest_rate_dates.currency,
        latest_rate_dates.rate_date,
        fx_rates.usd_per_unit
    from latest_rate_dates
    inner join fx_rates
        on latest_rate_dates.currency = fx_rates.currency
        and latest_rate_dates.rate_date = fx_rates.rate_date

),

usd_rates as (

    select
        week_start,
        'USD' as currency,
        as_of_date as rate_date,
        cast(1 as decimal(18, 8)) as usd_per_unit
    from weeks

),

final as (

    select
        week_start,
        currency,
        rate_date,
        usd_per_unit
    from foreign_rates
    union all
    select
        week_start,
        currency,
        rate_date,
        usd_per_unit
    from usd_rates

)

select * from final
