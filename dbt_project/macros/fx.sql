{#- The USD rate of every currency for each row of the CTE `periods`: the latest rate_date on or before
    the period's `measured_on` column (SPEC §2); USD is 1. After the import CTEs `fx_rates` and `periods`;
    ends with the CTE `final` (period_key, currency, rate_date, usd_per_unit). Used by
    int_fx_rates_resolved_weekly (weeks at D), int_fx_rates_resolved_monthly (months at their end, the
    month in progress at D) and int_fx_rates_resolved_month_ends (complete months). -#}
{% macro pp_fx_rates_resolved(period_key, measured_on) -%}
latest_rate_dates as (

    select
        periods.{{ period_key }},
        fx_rates.currency,
        max(fx_rates.rate_date) as rate_date
    from periods
    inner join fx_rates
        on fx_rates.rate_date <= periods.{{ measured_on }}
    where fx_rates.currency <> 'USD'
    group by periods.{{ period_key }}, fx_rates.currency

),

foreign_rates as (

    select
        latest_rate_dates.{{ period_key }},
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
        {{ period_key }},
        'USD' as currency,
        {{ measured_on }} as rate_date,
        cast(1 as decimal(18, 8)) as usd_per_unit
    from periods

),

final as (

    select
        {{ period_key }},
        currency,
        rate_date,
        usd_per_unit
    from foreign_rates
    union all
    select
        {{ period_key }},
        currency,
        rate_date,
        usd_per_unit
    from usd_rates

)
{%- endmacro %}
