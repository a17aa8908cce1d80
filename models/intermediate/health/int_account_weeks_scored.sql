{#- The health scorecard (SPEC §5): each measured value turned into a level and 0/1/2 points by
    the configuration seeds (scorecard_bands for the banded metrics, scorecard_rules for the rule
    metrics), then health_points, health_score and the category (seed health_categories).
    banded_metrics: the metrics scored by scorecard_bands, as (metric of the seed, measured column);
    their bands are one cross-joined row (macros/bands.sql). -#}
{%- set banded_metrics = [
    ('license_utilization', 'license_utilization'), ('api_usage', 'api_active_days_28d'),
    ('executive_sponsorship', 'executive_activities_180d'), ('training_completion', 'training_completion'),
    ('product_diversification', 'product_lines')] %}

with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

bands as (

    {{ band_slots(ref('scorecard_bands'), banded_metrics, ['points', 'level', 'band_text']) }}

),

rules as (

    select * from {{ ref('scorecard_rules') }}

),

metrics as (

    select * from {{ ref('scorecard_metrics') }}

),

categories as (

    select * from {{ ref('health_categories') }}

),

weights as (

    select
        {%- for metric in ['license_utilization', 'feature_adoption', 'api_usage', 'executive_sponsorship',
                           'training_completion', 'support_trend', 'product_diversification', 'renewal_plan'] %}
        max(case when metric = '{{ metric }}' then weight_pct end) as {{ metric }}_weight
        {%- if not loop.last %},{% endif %}{% endfor %}
    from metrics

),

band_numbers as (

    {{ band_numbers('measured', 'bands', banded_metrics) }}

),

banded as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        measured.utilization_basis,
        measured.license_utilization as license_utilization_value,
        case
            when measured.utilization_basis = 'not_applicable' then 'Not applicable'
            else {{ band_column('license_utilization', 'level') }}
        end as license_utilization_level,
        case
            when measured.utilization_basis = 'not_applicable' then rules.not_applicable_utilization_points
            else {{ band_column('license_utilization', 'points') }}
        end as license_utilization_points,
        {{ band_column('license_utilization', 'band_text') }} as license_utilization_band,
        measured.feature_breadth as feature_adoption_value,
        measured.advanced_features_used_28d,
        measured.features_used_28d,
        case
            when measured.advanced_features_used_28d >= rules.advanced_features_for_advanced then 'Advanced'
            when measured.advanced_features_used_28d >= rules.advanced_features_for_moderate
                or measured.feature_breadth >= rules.breadth_for_moderate then 'Moderate'
            else 'Basic'
        end as feature_adoption_level,
        case
            when measured.advanced_features_used_28d >= rules.advanced_features_for_advanced then 2
            when measured.advanced_features_used_28d >= rules.advanced_features_for_moderate
                or measured.feature_breadth >= rules.breadth_for_moderate then 1
            else 0
        end as feature_adoption_points,
        cast(measured.api_active_days_28d as decimal(38, 10)) as api_usage_value,
        {{ band_column('api_usage', 'level') }} as api_usage_level,
        {{ band_column('api_usage', 'points') }} as api_usage_points,
        {{ band_column('api_usage', 'band_text') }} as api_usage_band,
        cast(measured.executive_activities_180d as decimal(38, 10)) as executive_sponsorship_value,
        {{ band_column('executive_sponsorship', 'level') }} as executive_sponsorship_level,
        {{ band_column('executive_sponsorship', 'points') }} as executive_sponsorship_points,
        {{ band_column('executive_sponsorship', 'band_text') }} as executive_sponsorship_band,
        measured.training_completion as training_completion_value,
        measured.enrollments_365d,
        measured.completions_365d,
        {{ band_column('training_completion', 'level') }} as training_completion_level,
        {{ band_column('training_completion', 'points') }} as training_completion_points,
        {{ band_column('training_completion', 'band_text') }} as training_completion_band,
        cast(measured.tickets_recent_90d - measured.tickets_prior_90d as decimal(38, 10)) as support_trend_value,
        measured.tickets_recent_90d,
        measured.tickets_prior_90d,
        {#- the change that counts as a trend: max(min change, relative change x previous count) #}
        case
            when rules.support_relative_change * measured.tickets_prior_90d > rules.support_min_change
                then rules.support_relative_change * measured.tickets_prior_90d
            else cast(rules.support_min_change as decimal(18, 4))
        end as support_trend_threshold,
        cast(measured.product_lines as decimal(38, 10)) as product_diversification_value,
        {{ band_column('product_diversification', 'level') }} as product_diversification_level,
        {{ band_column('product_diversification', 'points') }} as product_diversification_points,
        {{ band_column('product_diversification', 'band_text') }} as product_diversification_band,
        cast(measured.days_to_next_end as decimal(38, 10)) as renewal_plan_value,
        measured.renewal_plan_status,
        case
            when measured.renewal_plan_status = 'complete' then 'Complete'
            when measured.renewal_plan_status = 'in_progress' then 'In progress'
            when measured.days_to_next_end > rules.renewal_plan_due_days then 'Not yet due'
            else 'Missing'
        end as renewal_plan_level,
        case
            when measured.renewal_plan_status = 'complete' then 2
            when measured.renewal_plan_status = 'in_progress' then 1
            when measured.days_to_next_end > rules.renewal_plan_due_days then 1
            else 0
        end as renewal_plan_points,
        rules.renewal_plan_due_days
    from band_numbers as measured
    cross join rules
    cross join bands

),

trended as (

    select
        *,
        case
            when tickets_recent_90d >= tickets_prior_90d + support_trend_threshold then 'Increasing'
            when tickets_recent_90d <= tickets_prior_90d - support_trend_threshold then 'Decreasing'
            else 'Stable'
        end as support_trend_level,
        case
            when tickets_recent_90d >= tickets_prior_90d + support_trend_threshold then 0
            when tickets_recent_90d <= tickets_prior_90d - support_trend_threshold then 2
            else 1
        end as support_trend_points
    from banded

),

totals as (

    select
        trended.*, -- noqa: disable=RF02
        license_utilization_points + feature_adoption_points + api_usage_points + executive_sponsorship_points
        + training_completion_points + support_trend_points + product_diversification_points
        + renewal_plan_points as health_points,
        cast(cast(
            license_utilization_points * weights.license_utilization_weight
            + feature_adoption_points * weights.feature_adoption_weight
            + api_usage_points * weights.api_usage_weight
            + executive_sponsorship_points * weights.executive_sponsorship_weight
            + training_completion_points * weights.training_completion_weight
            + support_trend_points * weights.support_trend_weight
            + product_diversification_points * weights.product_diversification_weight
            + renewal_plan_points * weights.renewal_plan_weight
            as decimal(10, 1)
        ) * cast(0.5 as decimal(2, 1)) as decimal(5, 2)) as health_score
    from trended
    cross join weights -- noqa: enable=RF02

),

final as (

    select
        totals.*,
        categories.health_category,
        categories.recommended_motion
    from totals
    left join categories
        on totals.health_points between categories.min_points and categories.max_points

)

select * from final
