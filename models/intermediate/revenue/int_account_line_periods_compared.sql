{#- Retention cohorts by product line: for every period (complete month, quarter, calendar year),
    every account with ARR > 0 at the end of the month before it, and each of its product lines at
    the start and at the end of the period, in constant currency (the start month's rates; a currency
    with no rate yet at the start month, such as one the account moved to during the period, at the
    period's last month's rate, the one its ARR at the end is published at: decision 156). -#}
with

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

periods as (

    select * from {{ ref('int_periods_completed') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_month_ends') }}

),

start_lines as (

    select
        periods.period_type,
        periods.period_start,
        periods.start_month,
        line_months.account_id,
        line_months.product_line,
        line_months.currency,
        line_months.arr_local as start_local,
        cast(0 as decimal(38, 6)) as end_local
    from periods
    inner join line_months
        on periods.start_month = line_months.month_start

),

cohort as (

    select distinct
        period_type,
        period_start,
        account_id
    from start_lines

),

end_lines as (

    select
        periods.period_type,
        periods.period_start,
        periods.start_month,
        line_months.account_id,
        line_months.product_line,
        line_months.currency,
        cast(0 as decimal(38, 6)) as start_local,
        line_months.arr_local as end_local
    from periods
    inner join line_months
        on periods.last_month = line_months.month_start
    inner join cohort
        on periods.period_type = cohort.period_type
        and periods.period_start = cohort.period_start
        and line_months.account_id = cohort.account_id

),

lines as (

    select
        period_type,
        period_start,
        start_month,
        account_id,
        product_line,
        currency,
        sum(start_local) as start_local,
        sum(end_local) as end_local
    from (
        select * from start_lines
        union all
        select * from end_lines
    ) as sides
    group by period_type, period_start, start_month, account_id, product_line, currency

),

valued_lines as (

    {%- set rate = 'coalesce(start_rates.usd_per_unit, end_rates.usd_per_unit)' %}

    select
        lines.period_type,
        lines.period_start,
        lines.start_month,
        periods.last_month,
        lines.account_id,
        lines.product_line,
        lines.start_local,
        cast(round(lines.start_local * {{ rate }}, 6) as decimal(38, 6)) as start_usd,
        cast(round(lines.end_local * {{ rate }}, 6) as decimal(38, 6)) as end_usd
    from lines
    inner join periods
        on lines.period_type = periods.period_type
        and lines.period_start = periods.period_start
    left join fx_rates as start_rates
        on lines.start_month = start_rates.month_start
        and lines.currency = start_rates.currency
    left join fx_rates as end_rates
        on periods.last_month = end_rates.month_start
        and lines.currency = end_rates.currency

),

final as (

    select
        period_type,
        period_start,
        start_month,
        last_month,
        account_id,
        product_line,
        sum(start_local) as start_local,
        sum(start_usd) as start_usd,
        sum(end_usd) as end_usd
    from valued_lines
    group by period_type, period_start, start_month, last_month, account_id, product_line

)

select * from final
