{#- The monthly ARR bridge (SPEC §4) per account, month and product line, in USD at constant
    currency: every movement is valued at the month's rate, and the effect of the rate change on
    last month's ARR is its own fx_revaluation line. Account-level types first (new_logo,
    reactivation, churn), otherwise per line: cross_sell (line absent last month), upsell (rose),
    contraction (fell or disappeared). For every account and month:
        sum(arr_change_usd) = arr_usd(this month end) - arr_usd(last month end), exactly. -#}
with

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

months as (

    select * from {{ ref('int_months_completed') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_month_ends') }}

),

month_pairs as (

    select
        month_start,
        cast({{ dbt.dateadd('month', -1, 'month_start') }} as date) as previous_month_start
    from months

),

current_side as (

    select
        account_id,
        month_start,
        product_line,
        currency,
        arr_local as current_local,
        cast(0 as decimal(38, 6)) as previous_local
    from line_months

),

previous_side as (

    select
        line_months.account_id,
        month_pairs.month_start,
        line_months.product_line,
        line_months.currency,
        cast(0 as decimal(38, 6)) as current_local,
        line_months.arr_local as previous_local
    from line_months
    inner join month_pairs
        on line_months.month_start = month_pairs.previous_month_start

),

combined as (

    select
        account_id,
        month_start,
        product_line,
        currency,
        sum(current_local) as current_local,
        sum(previous_local) as previous_local
    from (
        select * from current_side
        union all
        select * from previous_side
    ) as sides
    group by account_id, month_start, product_line, currency

),

valued as (

    {#- the same rounding as int_account_arr_line_months_aggregated.arr_usd, so the bridge ties
        out to the monthly ARR exactly -#}
    select
        combined.account_id,
        combined.month_start,
        combined.product_line,
        combined.currency,
        combined.current_local,
        combined.previous_local,
        cast(round(combined.current_local * rate_now.usd_per_unit, 6) as decimal(38, 6)) as current_usd,
        cast(round(combined.previous_local * rate_now.usd_per_unit, 6) as decimal(38, 6)) as previous_usd_constant,
        cast(
            round(combined.previous_local * coalesce(rate_before.usd_per_unit, rate_now.usd_per_unit), 6)
            as decimal(38, 6)
        ) as previous_usd
    from combined
    inner join month_pairs
        on combined.month_start = month_pairs.month_start
    left join fx_rates as rate_now
        on combined.month_start = rate_now.month_start
        and combined.currency = rate_now.currency
    left join fx_rates as rate_before
        on month_pairs.previous_month_start = rate_before.month_start
        and combined.currency = rate_before.currency

),

lines as (

    select
        account_id,
        month_start,
        product_line,
        sum(current_local) as current_local,
        sum(previous_local) as previous_local,
        sum(current_usd) as current_usd,
        sum(previous_usd_constant) as previous_usd_constant,
        sum(previous_usd) as previous_usd
    from valued
    group by account_id, month_start, product_line

),

account_months as (

    select
        account_id,
        month_start,
        sum(current_local) as current_local,
        sum(previous_local) as previous_local
    from lines
    group by account_id, month_start

),

first_arr_months as (

    select
        account_id,
        min(month_start) as first_arr_month
    from line_months
    group by account_id

),

account_kinds as (

    select
        account_months.account_id,
        account_months.month_start,
        case
            when account_months.previous_local = 0 and account_months.current_local > 0
                then case
                    when first_arr_months.first_arr_month < account_months.month_start then 'reactivation'
                    else 'new_logo'
                end
            when account_months.current_local = 0 and account_months.previous_local > 0 then 'churn'
        end as account_movement_type
    from account_months
    inner join first_arr_months
        on account_months.account_id = first_arr_months.account_id

),

line_movements as (

    select
        lines.account_id,
        lines.month_start,
        lines.product_line,
        coalesce(
            account_kinds.account_movement_type,
            case
                when lines.previous_local = 0 and lines.current_local > 0 then 'cross_sell'
                when lines.current_usd > lines.previous_usd_constant then 'upsell'
                when lines.current_usd < lines.previous_usd_constant then 'contraction'
            end
        ) as movement_type,
        lines.current_usd - lines.previous_usd_constant as arr_change_usd
    from lines
    inner join account_kinds
        on lines.account_id = account_kinds.account_id
        and lines.month_start = account_kinds.month_start

),

fx_movements as (

    select
        account_id,
        month_start,
        product_line,
        'fx_revaluation' as movement_type,
        previous_usd_constant - previous_usd as arr_change_usd
    from lines

),

final as (

    select
        account_id,
        month_start,
        product_line,
        movement_type,
        arr_change_usd
    from line_movements
    where movement_type is not null and arr_change_usd <> 0
    union all
    select
        account_id,
        month_start,
        product_line,
        movement_type,
        arr_change_usd
    from fx_movements
    where arr_change_usd <> 0

)

select * from final
