{#- Relationship, enablement and support measured at each scored week's as-of date D (SPEC §5-§7):
    activities with an executive contact (trailing 180 days), engaged stakeholders (distinct
    contacts with an activity, trailing 90 days), training completion (enrollments of the trailing
    365 days), tickets opened in the trailing 90 days vs the 90 before, CSAT of tickets closed and
    NPS responses in the trailing 180 days, onboarding and ROI milestones. Only facts dated <= D. -#}
with

active as (

    select * from {{ ref('int_account_weeks_active') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

enrollments as (

    select * from {{ ref('stg_usage__training_enrollments') }}

),

tickets as (

    select * from {{ ref('stg_support__support_tickets') }}

),

nps as (

    select * from {{ ref('stg_support__nps_responses') }}

),

milestones as (

    select * from {{ ref('stg_crm__milestones') }}

),

executive_contact_activities as (

    select activities.*
    from activities
    inner join contacts
        on activities.contact_id = contacts.contact_id
        and contacts.is_executive

),

ticket_openings as (

    select
        account_id,
        cast(opened_at as date) as opened_on
    from tickets

),

csat_responses as (

    select
        account_id,
        cast(closed_at as date) as closed_on,
        csat_score
    from tickets
    where csat_score is not null

),

executive_activities as (

    {{ trailing_window_aggregate(
        'active', 'executive_contact_activities', 'activity_date', days=180,
        aggregates=[('executive_activities_180d', 'count(*)')]) }}

),

stakeholders as (

    {{ trailing_window_aggregate(
        'active', 'activities', 'activity_date', days=90,
        aggregates=[
            ('engaged_stakeholders_90d', 'count(distinct activities.contact_id)'),
            ('expansion_outreach_90d',
             "sum(case when activities.activity_type = 'expansion_outreach' then 1 else 0 end)"),
        ]) }}

),

training as (

    {{ trailing_window_aggregate(
        'active', 'enrollments', 'enrolled_date', days=365,
        aggregates=[
            ('enrollments_365d', 'count(*)'),
            ('completions_365d', 'sum(case when enrollments.completed_date <= active.as_of_date then 1 else 0 end)'),
        ]) }}

),

ticket_counts as (

    {#- tickets opened in the trailing 180 days, split at D - 89 into the recent and prior 90 -#}
    {%- set recent_start = 'cast(' ~ dbt.dateadd('day', -89, 'active.as_of_date') ~ ' as date)' %}
    {{ trailing_window_aggregate(
        'active', 'ticket_openings', 'opened_on', days=180,
        aggregates=[
            ('tickets_recent_90d',
             'sum(case when ticket_openings.opened_on >= ' ~ recent_start ~ ' then 1 else 0 end)'),
            ('tickets_prior_90d',
             'sum(case when ticket_openings.opened_on < ' ~ recent_start ~ ' then 1 else 0 end)'),
        ]) }}

),

satisfaction as (

    {{ trailing_window_aggregate(
        'active', 'csat_responses', 'closed_on', days=180,
        aggregates=[
            ('csat_180d', pp_ratio('sum(csat_responses.csat_score)', 'count(*)', 4)),
            ('csat_responses_180d', 'count(*)'),
        ]) }}

),

promoter_scores as (

    {{ trailing_window_aggregate(
        'active', 'nps', 'responded_date', days=180,
        aggregates=[
            ('nps_mean_180d', pp_ratio('sum(nps.score)', 'count(*)', 4)),
            ('nps_responses_180d', 'count(*)'),
        ]) }}

),

milestone_status as (

    select
        active.week_start,
        active.account_id,
        sum(case when milestones.milestone_type = 'onboarding' then 1 else 0 end) as onboarding_milestones,
        sum(
            case
                when milestones.milestone_type = 'onboarding' and milestones.completed_date <= active.as_of_date
                    then 1
                else 0
            end
        ) as onboarding_milestones_completed,
        sum(
            case
                when
                    milestones.milestone_type = 'roi_documented'
                    and milestones.completed_date
                    between cast({{ dbt.dateadd('day', -364, 'active.as_of_date') }} as date) and active.as_of_date
                    then 1
                else 0
            end
        ) as roi_documented_365d
    from active
    inner join milestones
        on active.account_id = milestones.account_id
    group by active.week_start, active.account_id

),

final as (

    select
        active.week_start,
        active.account_id,
        cast(coalesce(executive_activities.executive_activities_180d, 0) as bigint) as executive_activities_180d,
        cast(coalesce(stakeholders.engaged_stakeholders_90d, 0) as bigint) as engaged_stakeholders_90d,
        cast(coalesce(stakeholders.expansion_outreach_90d, 0) as bigint) as expansion_outreach_90d,
        cast(coalesce(training.enrollments_365d, 0) as bigint) as enrollments_365d,
        cast(coalesce(training.completions_365d, 0) as bigint) as completions_365d,
        case
            when coalesce(training.enrollments_365d, 0) = 0 then cast(0 as decimal(38, 10))
            else {{ pp_ratio('training.completions_365d', 'training.enrollments_365d') }}
        end as training_completion,
        cast(coalesce(ticket_counts.tickets_recent_90d, 0) as bigint) as tickets_recent_90d,
        cast(coalesce(ticket_counts.tickets_prior_90d, 0) as bigint) as tickets_prior_90d,
        satisfaction.csat_180d,
        cast(coalesce(satisfaction.csat_responses_180d, 0) as bigint) as csat_responses_180d,
        promoter_scores.nps_mean_180d,
        cast(coalesce(promoter_scores.nps_responses_180d, 0) as bigint) as nps_responses_180d,
        cast(coalesce(milestone_status.onboarding_milestones, 0) as bigint) as onboarding_milestones,
        cast(coalesce(milestone_status.onboarding_milestones_completed, 0) as bigint)
            as onboarding_milestones_completed,
        cast(coalesce(milestone_status.roi_documented_365d, 0) as bigint) as roi_documented_365d
    from active
    left join executive_activities
        on active.week_start = executive_activities.week_start and active.account_id = executive_activities.account_id
    left join stakeholders
        on active.week_start = stakeholders.week_start and active.account_id = stakeholders.account_id
    left join training
        on active.week_start = training.week_start and active.account_id = training.account_id
    left join ticket_counts
        on active.week_start = ticket_counts.week_start and active.account_id = ticket_counts.account_id
    left join satisfaction
        on active.week_start = satisfaction.week_start and active.account_id = satisfaction.account_id
    left join promoter_scores
        on active.week_start = promoter_scores.week_start and active.account_id = promoter_scores.account_id
    left join milestone_status
        on active.week_start = milestone_status.week_start and active.account_id = milestone_status.account_id

)

select * from final
