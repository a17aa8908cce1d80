{#- The expansion signals (SPEC §7.2, playbook §02) that fired for each scored account and week:
    every condition of the seed signal_thresholds (measure, comparison, threshold) evaluated on
    the week's measured values; a signal with several conditions fires when any of them holds
    (combine = any) or all of them do (combine = all). C2 (support trend decreasing) and C3
    (executive sponsorship Active) restate the health scorecard's rules; the test
    assert_signal_thresholds_match_scorecard keeps them equal. observed_value and threshold are
    those of the condition that fired (the first one for combine = all). -#}
with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

thresholds as (

    select * from {{ ref('signal_thresholds') }}

),

{%- set measures = {
    'license_utilization': 'measured.license_utilization',
    'seat_active_user_ratio': 'case when measured.licensed_seats > 0 then '
        ~ pp_ratio('measured.seat_monthly_active_users', 'measured.licensed_seats') ~ ' end',
    'advanced_features_used_28d': 'measured.advanced_features_used_28d',
    'api_active_days_28d': 'measured.api_active_days_28d',
    'consumption_trend_per_week': 'measured.consumption_trend_per_week',
    'active_departments': 'measured.active_departments',
    'active_departments_change_13w': 'measured.active_departments - coalesce(measured.active_departments_13_weeks_ago, 0)',
    'nps_mean_180d': 'measured.nps_mean_180d',
    'csat_180d': 'measured.csat_180d',
    'support_ticket_change_90d': 'measured.tickets_recent_90d - measured.tickets_prior_90d',
    'support_ticket_change_ratio_90d': 'case when measured.tickets_prior_90d > 0 then '
        ~ pp_ratio('measured.tickets_recent_90d - measured.tickets_prior_90d', 'measured.tickets_prior_90d') ~ ' end',
    'executive_activities_180d': 'measured.executive_activities_180d',
    'onboarding_milestones_open': 'measured.onboarding_milestones - measured.onboarding_milestones_completed',
    'onboarding_milestones': 'measured.onboarding_milestones',
    'roi_documented_365d': 'measured.roi_documented_365d',
    'employee_growth': 'measured.employee_growth',
    'open_job_postings': 'measured.open_job_postings',
    'merger_or_reorganization_180d': 'measured.merger_acquisition_180d + measured.reorganization_180d',
    'compliance_mandate_180d': 'measured.compliance_mandate_180d',
    'product_launch_180d': 'measured.product_launch_180d',
    'it_modernization_180d': 'measured.it_modernization_180d',
    'geographic_expansion_180d': 'measured.geographic_expansion_180d',
    'competitor_evaluation_90d': 'measured.competitor_evaluation_90d',
} %}

conditions as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        thresholds.signal_code,
        thresholds.signal_category,
        thresholds.condition_order,
        thresholds.measure,
        thresholds.comparison,
        thresholds.combine,
        thresholds.description,
        case thresholds.measure
            {%- for measure, expression in measures.items() %}
            when '{{ measure }}' then cast({{ expression }} as decimal(38, 10))
            {%- endfor %}
        end as observed_value,
        cast(thresholds.threshold as decimal(38, 10)) as threshold
    from measured
    cross join thresholds

),

evaluated as (

    select
        *,
        coalesce(
            case comparison
                when '>=' then observed_value >= threshold
                when '>' then observed_value > threshold
                when '<=' then observed_value <= threshold
                when '<' then observed_value < threshold
            end,
            false
        ) as is_met
    from conditions

),

per_signal as (

    select
        *,
        sum(case when is_met then 1 else 0 end) over (
            partition by week_start, account_id, signal_code
        ) as conditions_met,
        count(*) over (partition by week_start, account_id, signal_code) as conditions_total,
        row_number() over (
            partition by week_start, account_id, signal_code
            order by case when is_met then 0 else 1 end, condition_order
        ) as display_order
    from evaluated

),

final as (

    select
        week_start,
        as_of_date,
        account_id,
        partner_id,
        signal_category,
        signal_code,
        measure,
        comparison,
        observed_value,
        threshold,
        description
    from per_signal
    where display_order = 1
        and (
            (combine = 'any' and conditions_met >= 1)
            or (combine = 'all' and conditions_met = conditions_total)
        )

)

select * from final
