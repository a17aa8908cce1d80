{#- The USD rate of every currency for each month of the CTE `months` (month_start, measured_at): the latest
    rate_date <= measured_at (SPEC §2); USD is 1. After the import CTEs `fx_rates`, `subscriptions` and
    `months`; ends with the CTE `final` (int_fx_rates_resolved_monthly, int_fx_rates_resolved_month_ends). -#}
{% macro pp_fx_rates_resolved() -%}
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
{%- endmacro %}
