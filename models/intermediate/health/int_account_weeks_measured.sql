{#- One row per scored account and week with every measured value the scorecard, the readiness
    score, the signals and the recommendations use (SPEC §5-§7), plus the renewal plan status of
    the next subscription to end and the lifecycle phase at D. -#}
with

active as (

    select * from {{ ref('int_account_weeks_active') }}

),

usage_measured as (

    select * from {{ ref('int_account_weeks_usage_measured') }}

),

engagement_measured as (

    select * from {{ ref('int_account_weeks_engagement_measured') }}

),

features_measured as (

    select * from {{ ref('int_account_weeks_features_measured') }}

),

business_measured as (

    select * from {{ ref('int_account_weeks_business_measured') }}

),

earlier_departments_measured as (

    select * from {{ ref('int_account_weeks_earlier_departments_measured') }}

),

renewal_plans as (

    select * from {{ ref('stg_crm__renewal_plans') }}

),

lifecycle_rules as (

    select * from {{ ref('lifecycle_rules') }}

),

plan_updates as (

    select
        active.week_start,
        active.account_id,
        renewal_plans.status,
        row_number() over (
            partition by active.week_start, active.account_id
            order by renewal_plans.updated_date desc, renewal_plans.renewal_plan_id desc
        ) as recency
    from active
    inner join renewal_plans
        on active.next_end_subscription_id = renewal_plans.subscription_id
        and renewal_plans.updated_date <= active.as_of_date

),

final as (

    select
        active.week_start,
        active.as_of_date,
        active.account_id,
        active.partner_id,
        active.segment,
        active.region,
        active.arr_usd,
        active.product_lines,
        active.first_subscription_start,
        active.next_end_subscription_id,
        active.next_end_date,
        active.days_to_next_end,
        case
            when active.days_to_next_end <= lifecycle_rules.renewal_phase_days then 'Renewal & Expansion'
            when {{ dbt.datediff('active.first_subscription_start', 'active.as_of_date', 'day') }}
                <= lifecycle_rules.onboarding_phase_days then 'Onboarding'
            else 'Adoption'
        end as lifecycle_phase,
        coalesce(plan_updates.status, 'missing') as renewal_plan_status,
        usage_measured.licensed_seats,
        usage_measured.seat_monthly_active_users,
        usage_measured.seat_weekly_active_users,
        usage_measured.max_product_monthly_active_users,
        usage_measured.license_utilization,
        usage_measured.utilization_basis,
        usage_measured.usage_frequency,
        usage_measured.api_active_days_28d,
        usage_measured.active_departments,
        earlier_departments_measured.active_departments_earlier,
        usage_measured.consumption_trend_per_week,
        features_measured.features_used_28d,
        features_measured.advanced_features_used_28d,
        features_measured.features_available,
        features_measured.feature_breadth,
        engagement_measured.executive_activities_180d,
        engagement_measured.engaged_stakeholders_90d,
        engagement_measured.expansion_outreach_90d,
        engagement_measured.enrollments_365d,
        engagement_measured.completions_365d,
        engagement_measured.training_completion,
        engagement_measured.tickets_recent_90d,
        engagement_measured.tickets_prior_90d,
        engagement_measured.csat_180d,
        engagement_measured.csat_responses_180d,
        engagement_measured.nps_mean_180d,
        engagement_measured.nps_responses_180d,
        engagement_measured.onboarding_milestones,
        engagement_measured.onboarding_milestones_completed,
        engagement_measured.roi_documented_365d,
        business_measured.employee_count,
        business_measured.open_job_postings,
        business_measured.employee_count_year_ago,
        business_measured.employee_growth,
        business_measured.funding_round_365d,
        business_measured.revenue_growth_announcement_365d,
        business_measured.merger_acquisition_180d,
        business_measured.reorganization_180d,
        business_measured.compliance_mandate_180d,
        business_measured.product_launch_180d,
        business_measured.it_modernization_180d,
        business_measured.geographic_expansion_180d,
        business_measured.competitor_evaluation_90d
    from active
    cross join lifecycle_rules
    inner join usage_measured
        on active.week_start = usage_measured.week_start and active.account_id = usage_measured.account_id
    inner join engagement_measured
        on active.week_start = engagement_measured.week_start and active.account_id = engagement_measured.account_id
    inner join features_measured
        on active.week_start = features_measured.week_start and active.account_id = features_measured.account_id
    inner join business_measured
        on active.week_start = business_measured.week_start and active.account_id = business_measured.account_id
    inner join earlier_departments_measured
        on active.week_start = earlier_departments_measured.week_start
        and active.account_id = earlier_departments_measured.account_id
    left join plan_updates
        on active.week_start = plan_updates.week_start
        and active.account_id = plan_updates.account_id
        and plan_updates.recency = 1

)

select * from final
