{#- The accounts with ARR > 0 at the end of each period (SPEC §4: month, quarter, calendar year; a
    period ends with a complete month), grouped by the attributes the retention dimensions read (the
    partner of record on the period's first day, as for the cohort and the renewals, its tier and
    type, the account's segment and region), with how many of them have two or more product lines.
    Product lines are counted once per account and month (decision 155), at the last month of each period
    int_periods_completed lists (decision 156). One row per period and combination: rpt_retention adds the
    groups into its seven dimensions. -#}
with

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

periods as (

    select * from {{ ref('int_periods_completed') }}

),

dimensioned as (

    select * from {{ ref('int_account_months_dimensioned') }}

),

account_lines as (

    select
        account_id,
        month_start,
        count(distinct product_line) as product_lines
    from line_months
    group by account_id, month_start

),

account_periods_dimensioned as (

    select
        periods.period_type,
        periods.period_start,
        account_lines.product_lines,
        dimensioned.partner_id,
        dimensioned.partner_tier,
        dimensioned.partner_type,
        dimensioned.segment,
        dimensioned.region
    from account_lines
    inner join periods
        on account_lines.month_start = periods.last_month
    inner join dimensioned
        on account_lines.account_id = dimensioned.account_id
        and periods.period_start = dimensioned.month_start

),

final as (

    select
        period_type,
        period_start,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        count(*) as active_accounts,
        sum(case when product_lines >= 2 then 1 else 0 end) as multi_product_accounts
    from account_periods_dimensioned
    group by period_type, period_start, partner_id, partner_tier, partner_type, segment, region

)

select * from final
