{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change=pp_contract_on_schema_change(),
    )
}}

{#- The weekly expansion readiness score (SPEC §6) of every account with ARR > 0 on the week's
    Sunday D, with its 13 sub-scores and measured inputs, the signal alignment (SPEC §7.2) and the
    open expansion deals missing their validation step. A refresh writes its target weeks
    (macros/weeks.sql) and keeps the others, like fct_account_health_weekly. -#}
with

readiness as (

    select * from {{ ref('int_account_weeks_readiness_scored') }}

),

alignment as (

    select * from {{ ref('int_account_weeks_signals_aligned') }}

),

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

open_opportunities as (

    select * from {{ ref('int_account_week_opportunities_opened') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

validation_gaps as (

    select
        week_start,
        account_id,
        count(*) as opportunities_missing_validation
    from open_opportunities
    where is_validation_step_missing
    group by week_start, account_id

),

final as (

    select
        readiness.week_start,
        readiness.as_of_date,
        readiness.account_id,
        readiness.partner_id,
        readiness.segment,
        measured.lifecycle_phase,
        readiness.health_category,
        readiness.arr_usd,
        readiness.product_usage_points,
        readiness.satisfaction_points,
        readiness.growth_points,
        readiness.relationship_points,
        readiness.expansion_potential_points,
        readiness.readiness_score,
        readiness.expansion_priority,
        readiness.expansion_priority_action,
        readiness.adoption_rate,
        readiness.max_product_monthly_active_users,
        readiness.employee_count,
        readiness.adoption_rate_points,
        readiness.adoption_rate_level,
        readiness.usage_frequency,
        readiness.usage_frequency_points,
        readiness.usage_frequency_level,
        readiness.feature_breadth,
        readiness.feature_breadth_points,
        readiness.feature_breadth_level,
        readiness.nps_mean_180d,
        readiness.nps_responses_180d,
        readiness.nps_points,
        readiness.nps_level,
        readiness.csat_180d,
        readiness.csat_responses_180d,
        readiness.csat_points,
        readiness.csat_level,
        readiness.support_trend_level,
        readiness.support_trend_points,
        readiness.employee_growth,
        readiness.employee_growth_points,
        readiness.employee_growth_level,
        readiness.funding_event,
        readiness.funding_points,
        readiness.open_job_postings,
        readiness.open_job_postings_points,
        readiness.open_job_postings_level,
        readiness.engaged_stakeholders_90d,
        readiness.engaged_stakeholders_points,
        readiness.engaged_stakeholders_level,
        readiness.executive_sponsorship_level,
        readiness.executive_sponsor_points,
        readiness.segment_mean_arr_usd,
        readiness.arr_vs_segment,
        readiness.arr_vs_segment_points,
        readiness.arr_vs_segment_level,
        readiness.lines_not_owned,
        readiness.lines_not_owned_points,
        readiness.lines_not_owned_level,
        alignment.product_usage_signals,
        alignment.customer_success_signals,
        alignment.business_signals,
        alignment.competitive_alerts,
        alignment.signal_codes,
        alignment.alignment_categories,
        alignment.is_strong_opportunity,
        alignment.is_inside_out_outside_in,
        alignment.has_competitive_alert,
        cast(coalesce(validation_gaps.opportunities_missing_validation, 0) as bigint)
            as opportunities_missing_validation
    from readiness
    inner join weeks
        on readiness.week_start = weeks.week_start
    inner join measured
        on readiness.week_start = measured.week_start
        and readiness.account_id = measured.account_id
    inner join alignment
        on readiness.week_start = alignment.week_start
        and readiness.account_id = alignment.account_id
    left join validation_gaps
        on readiness.week_start = validation_gaps.week_start
        and readiness.account_id = validation_gaps.account_id
    where weeks.is_target

)

select * from final
