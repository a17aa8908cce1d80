{#- The retention cohorts (SPEC §4) per period (month, quarter, calendar year) and dimension
    (dimensions.sql: overall, partner, partner tier and type, segment, region, attachment): the
    accounts with ARR > 0 at the end of the month before the period, valued in constant currency
    at that month's rates (int_account_periods_retained), and what became of their ARR by the
    period end. The partner dimensions use the partner of record on the period's first day; the
    partner dimension has partner-attached accounts only. rpt_retention publishes them with
    renewals and multi-product adoption; the partners' yearly NRR also earns the NRR performance
    bonus (int_payout_events_collected). -#}
with

retained as (

    select * from {{ ref('int_account_periods_retained') }}

),

dimensioned as (

    select * from {{ ref('int_account_months_dimensioned') }}

),

cohort as (

    select
        retained.*,
        dimensioned.partner_id,
        dimensioned.partner_tier,
        dimensioned.partner_type,
        dimensioned.segment,
        dimensioned.region
    from retained
    inner join dimensioned
        on retained.account_id = dimensioned.account_id
        and retained.period_start = dimensioned.month_start

),

cohort_rows as (

    {{ retention_dimension_rows('cohort', [
        'period_type', 'period_start', 'account_id', 'start_usd', 'end_usd', 'expansion_usd', 'upsell_usd',
        'cross_sell_usd', 'contraction_usd', 'churn_usd', 'retained_usd', 'is_churned']) }}

),

final as (

    select
        period_type,
        period_start,
        dimension,
        dimension_value,
        count(*) as accounts_start,
        sum(case when is_churned then 1 else 0 end) as accounts_churned,
        sum(start_usd) as starting_arr_usd,
        sum(expansion_usd) as expansion_arr_usd,
        sum(upsell_usd) as upsell_arr_usd,
        sum(cross_sell_usd) as cross_sell_arr_usd,
        sum(contraction_usd) as contraction_arr_usd,
        sum(churn_usd) as churn_arr_usd,
        sum(end_usd) as ending_arr_usd,
        sum(retained_usd) as retained_arr_usd
    from cohort_rows
    group by period_type, period_start, dimension, dimension_value

)

select * from final
