{#- The expansion signals (SPEC §7.2, playbook §02) that fired for each scored account and week:
    every condition of the seed signal_thresholds (measure, comparison, threshold) evaluated on
    the week's measured values; a signal with several conditions fires when any of them holds
    (combine = any) or all of them do (combine = all). C2 (support trend decreasing) and C3
    (executive sponsorship Active) restate the health scorecard's rules; the test
    assert_signal_thresholds_match_scorecard keeps them equal. observed_value and threshold are
    those of the condition that fired (the first one for combine = all). A measure whose value is
    unknown (null) meets no condition: active_departments_change compares with the value
    lookback_days earlier, unknown when no usage row was there, so U6 does not fire without history. -#}
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
    'active_departments_change': 'measured.active_departments - measured.active_departments_earlier',
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
        thresholds.condition_order,
        thresholds.comparison,
        case thresholds.measure
            {%- for measure, expression in measures.items() %}
            when '{{ measure }}' then cast({{ expression }} as decimal(38, 10))
            {%- endfor %}
        end as observed_value,
        cast(thresholds.threshold as decimal(38, 10)) as threshold
    from measured
    cross join thresholds

),

{# Only the conditions that hold go on: every account-week × every condition is by far the
    largest intermediate result here (hundreds of millions of rows at 200,000 accounts), and it
    streams through this filter instead of being held for a window. #}
met as (

    select
        week_start,
        as_of_date,
        account_id,
        partner_id,
        signal_code,
        condition_order,
        observed_value,
        threshold
    from conditions
    where case comparison
            when '>=' then observed_value >= threshold
            when '>' then observed_value > threshold
            when '<=' then observed_value <= threshold
            when '<' then observed_value < threshold
        end

),

signal_rules as (

    select
        signal_code,
        max(combine) as combine,
        count(*) as conditions_total
    from thresholds
    group by signal_code

),

{# Most signals have one condition: it fires when it holds, and only the signals with several
    conditions are counted and ordered per account-week (a window over every condition that held
    was most of this model's time; decision 121). #}
met_ruled as (

    select
        met.*,
        signal_rules.combine,
        signal_rules.conditions_total
    from met
    inner join signal_rules
        on met.signal_code = signal_rules.signal_code

),

per_signal as (

    select
        *,
        cast(1 as bigint) as conditions_met,
        cast(1 as bigint) as display_order
    from met_ruled
    where conditions_total = 1

    union all

    select
        *,
        count(*) over (partition by week_start, account_id, signal_code) as conditions_met,
        row_number() over (
            partition by week_start, account_id, signal_code
            order by condition_order
        ) as display_order
    from met_ruled
    where conditions_total > 1

),

final as (

    select
        per_signal.week_start,
        per_signal.as_of_date,
        per_signal.account_id,
        per_signal.partner_id,
        thresholds.signal_category,
        per_signal.signal_code,
        thresholds.measure,
        thresholds.comparison,
        per_signal.observed_value,
        per_signal.threshold,
        thresholds.description
    from per_signal
    inner join thresholds
        on per_signal.signal_code = thresholds.signal_code
        and per_signal.condition_order = thresholds.condition_order
    where per_signal.display_order = 1
        and (
            per_signal.combine = 'any'
            or (per_signal.combine = 'all' and per_signal.conditions_met = per_signal.conditions_total)
        )

)

select * from final
