{#- The renewals resolved (renewed or churned) in each completed retention period (SPEC §4: month,
    quarter, calendar year) per dimension (dimensions.sql), by the partner of record on the period's
    first day like every column of rpt_retention (decision 156; fct_renewals keeps the partner on the
    day the outcome was measured): ARR up for renewal, of it renewed, and their count. rpt_retention
    keeps the periods with a cohort. -#}
with

periods as (

    select * from {{ ref('int_periods_completed') }}

),

renewals as (

    select * from {{ ref('int_subscriptions_renewal_resolved') }}

),

dimensioned as (

    select * from {{ ref('int_account_months_dimensioned') }}

),

resolved_renewals as (

    select
        periods.period_type,
        periods.period_start,
        dimensioned.partner_id,
        dimensioned.partner_tier,
        dimensioned.partner_type,
        dimensioned.segment,
        dimensioned.region,
        renewals.renewal_status,
        renewals.arr_usd
    from renewals
    inner join periods
        on renewals.resolved_on between periods.period_start and periods.period_end
    inner join dimensioned
        on renewals.account_id = dimensioned.account_id
        and periods.period_start = dimensioned.month_start
    where renewals.renewal_status in ('renewed', 'churned')

),

renewal_rows as (

    {{ retention_dimension_rows('resolved_renewals', ['period_type', 'period_start', 'renewal_status', 'arr_usd']) }}

),

final as (

    select
        period_type,
        period_start,
        dimension,
        dimension_value,
        sum(arr_usd) as renewal_arr_usd,
        sum(case when renewal_status = 'renewed' then arr_usd else 0 end) as renewed_arr_usd,
        count(*) as renewals_resolved
    from renewal_rows
    group by period_type, period_start, dimension, dimension_value

)

select * from final
