{#- ARR per account, product line and contract currency at the end of each complete month (decision 13;
    the month in progress is not ARR's), with its USD value at that month's rate. USD values are
    rounded to 1e-6 here, once; every bridge and retention figure is exact arithmetic on them. -#}
with

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

months as (

    select * from {{ ref('int_months_completed') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_month_ends') }}

),

active_items as (

    select
        months.month_start,
        months.measured_at,
        months.is_complete,
        items.account_id,
        items.product_line,
        items.currency,
        items.arr_local,
        items.quantity,
        items.pricing_model
    from items
    inner join months
        on items.active_from <= months.measured_at
        and items.active_to > months.measured_at

),

aggregated as (

    select
        month_start,
        measured_at,
        is_complete,
        account_id,
        product_line,
        currency,
        sum(arr_local) as arr_local
    from active_items
    group by month_start, measured_at, is_complete, account_id, product_line, currency

),

final as (

    select
        aggregated.month_start,
        aggregated.measured_at,
        aggregated.is_complete,
        aggregated.account_id,
        aggregated.product_line,
        aggregated.currency,
        aggregated.arr_local,
        fx_rates.usd_per_unit,
        cast(round(aggregated.arr_local * fx_rates.usd_per_unit, 6) as decimal(38, 6)) as arr_usd
    from aggregated
    left join fx_rates
        on aggregated.month_start = fx_rates.month_start
        and aggregated.currency = fx_rates.currency
    where aggregated.arr_local > 0

)

select * from final
