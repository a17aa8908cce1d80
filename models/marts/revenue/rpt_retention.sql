{#- Retention per period (month, quarter, year) and dimension (SPEC §4): the cohort metrics of
    int_retention_cohorts_aggregated (accounts with ARR > 0 at the end of the month before the
    period, at that month's rates), the renewals resolved in the period and multi-product adoption
    at its end, all by the partner of record on the period's first day; the partner dimension has
    partner-attached accounts only (any text is a partner id: direct accounts are the attachment =
    'direct' rows). A value without a cohort but with renewals or active accounts has 0 in the
    cohort columns (decision 156). start + expansion - contraction - churn = end (tested). -#}
with

retained as (

    select * from {{ ref('int_account_periods_retained') }}

),

completed as (

    select * from {{ ref('int_periods_completed') }}

),

cohort_metrics as (

    select * from {{ ref('int_retention_cohorts_aggregated') }}

),

renewal_metrics as (

    select * from {{ ref('int_retention_renewals_aggregated') }}

),

period_groups as (

    select * from {{ ref('int_active_account_periods_grouped') }}

),

periods as (

    {#- the periods with a cohort -#}
    select
        completed.period_type,
        completed.period_start,
        completed.period_end
    from completed
    where exists (
            select 1
            from retained
            where retained.period_type = completed.period_type
                and retained.period_start = completed.period_start
        )

),

active_grouped as (

    select
        periods.period_type,
        periods.period_start,
        period_groups.partner_id,
        period_groups.partner_tier,
        period_groups.partner_type,
        period_groups.segment,
        period_groups.region,
        period_groups.active_accounts,
        period_groups.multi_product_accounts
    from periods
    inner join period_groups
        on periods.period_type = period_groups.period_type
        and periods.period_start = period_groups.period_start

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

dimension_values as (

    {%- for metrics in ['cohort_metrics', 'renewal_metrics', 'active_metrics'] %}
    select
        period_type,
        period_start,
        dimension,
        dimension_value
    from {{ metrics }}
    {% if not loop.last %}union{% endif %}
    {%- endfor %}

),

joined as (

    select
        dimension_values.*,
        periods.period_end,
        {%- for column in ['accounts_start', 'accounts_churned', 'starting_arr_usd', 'expansion_arr_usd',
                           'upsell_arr_usd', 'cross_sell_arr_usd', 'contraction_arr_usd', 'churn_arr_usd',
                           'ending_arr_usd', 'retained_arr_usd'] %}
        coalesce(cohort_metrics.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(renewal_metrics.renewal_arr_usd, 0) as renewal_arr_usd,
        coalesce(renewal_metrics.renewed_arr_usd, 0) as renewed_arr_usd,
        coalesce(renewal_metrics.renewals_resolved, 0) as renewals_resolved,
        coalesce(active_metrics.active_accounts_end, 0) as active_accounts_end,
        coalesce(active_metrics.multi_product_accounts_end, 0) as multi_product_accounts_end,
        program_renewals.renewal_arr_usd as program_renewal_arr_usd,
        program_renewals.renewed_arr_usd as program_renewed_arr_usd
    from dimension_values
    inner join periods
        on dimension_values.period_type = periods.period_type
        and dimension_values.period_start = periods.period_start
    {%- for metrics in ['cohort_metrics', 'renewal_metrics', 'active_metrics'] %}
    left join {{ metrics }}
        on dimension_values.period_type = {{ metrics }}.period_type
        and dimension_values.period_start = {{ metrics }}.period_start
        and dimension_values.dimension = {{ metrics }}.dimension
        and dimension_values.dimension_value = {{ metrics }}.dimension_value
    {%- endfor %}
    left join renewal_metrics as program_renewals
        on dimension_values.period_type = program_renewals.period_type
        and dimension_values.period_start = program_renewals.period_start
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
