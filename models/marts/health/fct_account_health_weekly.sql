{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change=pp_contract_on_schema_change(),
    )
}}

{#- The weekly health scorecard (SPEC §5) for every account with ARR > 0 on the week's Sunday D,
    from the first week on. A refresh writes its target weeks (macros/weeks.sql); other weeks are
    kept as they were computed. -#}
with

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

rules as (

    select * from {{ ref('scorecard_rules') }}

),

{# History (last week's category, the points of trend_weeks_back weeks ago) is looked up on
    narrow keys first and joined to the wide scored rows once: joining the wide rows to themselves
    twice ran out of memory at 200,000 accounts (11M account-weeks) on a full refresh. #}
keyed as (

    select
        scored.week_start,
        scored.account_id,
        cast({{ dbt.dateadd('day', -7, 'scored.week_start') }} as date) as previous_week_start,
        cast({{ dbt.dateadd('day', '-7 * rules.trend_weeks_back', 'scored.week_start') }} as date) as trend_week_start
    from scored
    cross join rules

),

history as (

    select
        keyed.week_start,
        keyed.account_id,
        previous_week.health_category as previous_category,
        four_weeks_ago.health_points as points_4_weeks_ago
    from keyed
    left join scored as previous_week
        on keyed.account_id = previous_week.account_id
        and keyed.previous_week_start = previous_week.week_start
    left join scored as four_weeks_ago
        on keyed.account_id = four_weeks_ago.account_id
        and keyed.trend_week_start = four_weeks_ago.week_start

),

measured_phases as (

    select
        week_start,
        account_id,
        lifecycle_phase,
        next_end_date
    from measured

),

with_history as (

    select
        scored.*,
        weeks.is_target,
        history.previous_category,
        history.points_4_weeks_ago,
        measured_phases.lifecycle_phase,
        measured_phases.next_end_date,
        rules.trend_change_points
    from scored
    inner join weeks
        on scored.week_start = weeks.week_start
    inner join measured_phases
        on scored.week_start = measured_phases.week_start
        and scored.account_id = measured_phases.account_id
    inner join history
        on scored.week_start = history.week_start
        and scored.account_id = history.account_id
    cross join rules

),

explained as (

    select
        *,
        case
            when utilization_basis = 'not_applicable'
                then 'license utilization not applicable (no per-seat seats or usage capacity) → '
                || {{ points_text('license_utilization_points') }}
            else 'license utilization '
                || cast(round(license_utilization_value * 100, 1) as {{ pp_type_text() }}) || '% ('
                || license_utilization_band || ') → ' || {{ points_text('license_utilization_points') }}
        end as license_utilization_reason,
        'feature adoption ' || feature_adoption_level || ': '
        || cast(advanced_features_used_28d as {{ pp_type_text() }})
        || ' advanced features used, breadth ' || cast(round(feature_adoption_value * 100, 1) as {{ pp_type_text() }})
        || '% in 28 days → ' || {{ points_text('feature_adoption_points') }} as feature_adoption_reason,
        'API used on ' || cast(cast(api_usage_value as integer) as {{ pp_type_text() }}) || ' of the last 28 days ('
        || api_usage_band || ') → ' || {{ points_text('api_usage_points') }} as api_usage_reason,
        cast(cast(executive_sponsorship_value as integer) as {{ pp_type_text() }})
        || ' executive activities in 180 days (' || executive_sponsorship_band || ') → '
        || {{ points_text('executive_sponsorship_points') }} as executive_sponsorship_reason,
        'training completion ' || cast(round(training_completion_value * 100, 1) as {{ pp_type_text() }}) || '% of '
        || cast(enrollments_365d as {{ pp_type_text() }}) || ' enrollments in 365 days (' || training_completion_band
        || ') → ' || {{ points_text('training_completion_points') }} as training_completion_reason,
        cast(tickets_recent_90d as {{ pp_type_text() }}) || ' tickets in the last 90 days vs '
        || cast(tickets_prior_90d as {{ pp_type_text() }}) || ' before: ' || support_trend_level || ' → '
        || {{ points_text('support_trend_points') }} as support_trend_reason,
        cast(cast(product_diversification_value as integer) as {{ pp_type_text() }}) || ' product lines ('
        || product_diversification_band
        || ') → '
        || {{ points_text('product_diversification_points') }} as product_diversification_reason,
        'renewal plan ' || replace(renewal_plan_status, '_', ' ') || ' for the subscription ending '
        || coalesce(cast(next_end_date as {{ pp_type_text() }}), 'unknown')
        || case when renewal_plan_level = 'Not yet due' then ' (not yet due)' else '' end
        || ' → ' || {{ points_text('renewal_plan_points') }} as renewal_plan_reason
    from with_history

),

final as (

    select
        week_start,
        as_of_date,
        account_id,
        partner_id,
        license_utilization_value,
        license_utilization_level,
        license_utilization_points,
        feature_adoption_value,
        feature_adoption_level,
        feature_adoption_points,
        api_usage_value,
        api_usage_level,
        api_usage_points,
        executive_sponsorship_value,
        executive_sponsorship_level,
        executive_sponsorship_points,
        training_completion_value,
        training_completion_level,
        training_completion_points,
        support_trend_value,
        support_trend_level,
        support_trend_points,
        product_diversification_value,
        product_diversification_level,
        product_diversification_points,
        renewal_plan_value,
        renewal_plan_level,
        renewal_plan_points,
        utilization_basis,
        advanced_features_used_28d,
        tickets_recent_90d,
        tickets_prior_90d,
        renewal_plan_status,
        health_points,
        health_score,
        health_category,
        previous_category,
        coalesce(previous_category <> health_category, false) as is_tier_movement,
        points_4_weeks_ago,
        case
            when health_points - points_4_weeks_ago >= trend_change_points then 'improving'
            when health_points - points_4_weeks_ago <= -trend_change_points then 'declining'
            else 'stable'
        end as trend_direction,
        recommended_motion,
        lifecycle_phase,
        license_utilization_reason || '; ' || feature_adoption_reason || '; ' || api_usage_reason || '; '
        || executive_sponsorship_reason || '; ' || training_completion_reason || '; ' || support_trend_reason
        || '; ' || product_diversification_reason || '; ' || renewal_plan_reason as reasons
    from explained
    where is_target

)

select * from final
