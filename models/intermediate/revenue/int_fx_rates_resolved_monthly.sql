{#- The USD rate of every currency for each month: the latest rate_date <= the month end (for the
    month in progress: <= D), per SPEC §2; USD is 1. A currency with no rate yet has no row, and
    the test on int_account_arr_line_months_aggregated flags ARR that cannot be converted. -#}
with

fx_rates as (

    select * from {{ ref('stg_billing__fx_rates') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

months as (

    select * from {{ ref('int_months_spined') }}

),

currencies as (

    select currency from subscriptions
    union
    select currency from fx_rates
    union
    select 'USD' as currency

),

latest_rate_dates as (

    select
        months.month_start,
        fx_rates.currency,
        max(fx_rates.rate_date) as rate_date
    from months
    inner join fx_rates
        on fx_rates.rate_date <= months.measured_at
    where fx_rates.currency <> 'USD'
    group by months.month_start, fx_rates.currency

),

foreign_rates as (

    select
        latest_rate_dates.month_start,
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
        months.month_start,
        'USD' as currency,
        months.measured_at as rate_date,
        cast(1 as decimal(18, 8)) as usd_per_unit
    from months

),

final as (

    select
        month_start,
        currency,
        rate_date,
        usd_per_unit
    from foreign_rates
    where currency in (select currency from currencies) -- noqa: RF02
    union all
    select
        month_start,
        currency,
        rate_date,
        usd_per_unit
    from usd_rates

)

select * from final
