{#- Retention per period (month, quarter, calendar year) and dimension (SPEC §4): the cohort
    metrics of int_retention_cohorts_aggregated (the cohort of a period = accounts with ARR > 0 at
    the end of the month before it, in constant currency at that month's rates; partner
    dimensions by the partner of record on the period's first day; the partner dimension has
    partner-attached accounts only, a partner id may be any text, 'direct' included: direct
    accounts are the attachment = 'direct' rows), with the renewals resolved in the period and
    multi-product adoption at its end. Every row satisfies
    start + expansion - contraction - churn = end (tested). -#}
with

retained as (

    select * from {{ ref('int_account_periods_retained') }}

),

cohort_metrics as (

    select * from {{ ref('int_retention_cohorts_aggregated') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

renewals as (

    select * from {{ ref('int_subscriptions_renewal_resolved') }}

),

month_groups as (

    select * from {{ ref('int_active_account_months_grouped') }}

),

periods as (

    select distinct
        period_type,
        period_start,
        last_month,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'last_month')) }} as date) as period_end
    from retained

),

resolved_renewals as (

    select
        periods.period_type,
        periods.period_start,
        renewals.partner_id,
        partners.partner_tier,
        partners.partner_type,
        accounts.segment,
        accounts.region,
        renewals.renewal_status,
        renewals.arr_usd
    from renewals
    inner join periods
        on renewals.resolved_on between periods.period_start and periods.period_end
    inner join accounts
        on renewals.account_id = accounts.account_id
    left join partners
        on renewals.partner_id = partners.partner_id
    where renewals.renewal_status in ('renewed', 'churned')

),

renewal_rows as (

    {{ retention_dimension_rows('resolved_renewals', ['period_type', 'period_start', 'renewal_status', 'arr_usd']) }}

),

renewal_metrics as (

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

),

active_grouped as (

    select
        periods.period_type,
        periods.period_start,
        month_groups.partner_id,
        month_groups.partner_tier,
        month_groups.partner_type,
        month_groups.segment,
        month_groups.region,
        month_groups.active_accounts,
        month_groups.multi_product_accounts
    from periods
    inner join month_groups
        on periods.last_month = month_groups.month_start

),

active_rows as (

    {{ retention_dimension_rows(
        'active_grouped', ['period_type', 'period_start', 'active_accounts', 'multi_product_accounts']
    ) }}

),

active_metrics as (

    select
        period_type,
        period_start,
        dimension,
        dimension_value,
        cast(sum(active_accounts) as bigint) as active_accounts_end,
        cast(sum(multi_product_accounts) as bigint) as multi_product_accounts_end
    from active_rows
    group by period_type, period_start, dimension, dimension_value

),

joined as (

    select
        cohort_metrics.*,
        periods.period_end,
        coalesce(renewal_metrics.renewal_arr_usd, 0) as renewal_arr_usd,
        coalesce(renewal_metrics.renewed_arr_usd, 0) as renewed_arr_usd,
        coalesce(renewal_metrics.renewals_resolved, 0) as renewals_resolved,
        coalesce(active_metrics.active_accounts_end, 0) as active_accounts_end,
        coalesce(active_metrics.multi_product_accounts_end, 0) as multi_product_accounts_end,
        program_renewals.renewal_arr_usd as program_renewal_arr_usd,
        program_renewals.renewed_arr_usd as program_renewed_arr_usd
    from cohort_metrics
    inner join periods
        on cohort_metrics.period_type = periods.period_type
        and cohort_metrics.period_start = periods.period_start
    left join renewal_metrics
        on cohort_metrics.period_type = renewal_metrics.period_type
        and cohort_metrics.period_start = renewal_metrics.period_start
        and cohort_metrics.dimension = renewal_metrics.dimension
        and cohort_metrics.dimension_value = renewal_metrics.dimension_value
    left join active_metrics
        on cohort_metrics.period_type = active_metrics.period_type
        and cohort_metrics.period_start = active_metrics.period_start
        and cohort_metrics.dimension = active_metrics.dimension
        and cohort_metrics.dimension_value = active_metrics.dimension_value
    left join renewal_metrics as program_renewals
        on cohort_metrics.period_type = program_renewals.period_type
        and cohort_metrics.period_start = program_renewals.period_start
        and program_renewals.dimension = 'overall'

),

rated as (

    select
        *,
        {{ pp_ratio('ending_arr_usd', 'starting_arr_usd') }} as nrr,
        {{ pp_ratio('retained_arr_usd', 'starting_arr_usd') }} as grr,
        {{ pp_ratio('renewed_arr_usd', 'renewal_arr_usd') }} as renewal_rate,
        {{ pp_ratio('program_renewed_arr_usd', 'program_renewal_arr_usd') }} as program_renewal_rate,
        {{ pp_ratio('expansion_arr_usd', 'accounts_start', 6) }} as expansion_arr_per_customer_usd,
        {{ pp_ratio('multi_product_accounts_end', 'active_accounts_end') }} as multi_product_adoption_rate
    from joined

),

final as (

    select
        period_type,
        period_start,
        period_end,
        dimension,
        dimension_value,
        cast(accounts_start as bigint) as accounts_start,
        cast(accounts_churned as bigint) as accounts_churned,
        starting_arr_usd,
        expansion_arr_usd,
        upsell_arr_usd,
        cross_sell_arr_usd,
        contraction_arr_usd,
        churn_arr_usd,
        ending_arr_usd,
        retained_arr_usd,
        nrr,
        grr,
        renewal_rate,
        cast(renewals_resolved as bigint) as renewals_resolved,
        renewal_arr_usd,
        renewed_arr_usd,
        program_renewal_rate,
        cast(renewal_rate as decimal(37, 10)) - cast(program_renewal_rate as decimal(37, 10))
            as renewal_rate_vs_program,  -- 37: Spark keeps all 10 places
        coalesce(dimension = 'partner' and renewal_rate < program_renewal_rate, false)
            as needs_enablement_review,
        expansion_arr_per_customer_usd,
        cast(active_accounts_end as bigint) as active_accounts_end,
        cast(multi_product_accounts_end as bigint) as multi_product_accounts_end,
        multi_product_adoption_rate
    from rated

)

select * from final
