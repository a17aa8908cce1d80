{#- Executive view 3 (SPEC §7.4): upcoming renewals at D — ARR up for renewal by 180/90/60/30-day
    window, renewal plan status by partner, and at-risk renewals (account At Risk at D) with no
    activity by the partner on the account in the last 60 days (seed executive_targets). Direct
    accounts are channel 'direct' with a null partner_id: a partner id may be any text, 'direct'
    included, so no id stands for "no partner". -#}
with

renewals as (

    select * from {{ ref('fct_renewals') }}

),

health as (

    select * from {{ ref('int_account_weeks_scored') }}
    where week_start = {{ refresh_week() }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

targets as (

    select * from {{ ref('executive_targets') }}

),

upcoming as (

    select *
    from renewals
    where renewal_status = 'open' and days_until_end >= 0 and renewal_window <> 'later'

),

partner_touches as (

    select distinct upcoming.subscription_id
    from upcoming
    cross join targets
    inner join activities
        on upcoming.account_id = activities.account_id
        and activities.partner_id = upcoming.partner_id
        and activities.activity_date
        between cast({{ dbt.dateadd('day', '1 - targets.renewal_no_activity_days', refresh_as_of_date()) }} as date)
        and {{ refresh_as_of_date() }}

),

flagged as (

    select
        upcoming.*,
        health.health_category,
        coalesce(health.health_category = 'At Risk', false) and partner_touches.subscription_id is null
            as is_at_risk_without_partner_activity
    from upcoming
    left join health
        on upcoming.account_id = health.account_id
    left join partner_touches
        on upcoming.subscription_id = partner_touches.subscription_id

),

final as (

    select
        {{ refresh_as_of_date() }} as as_of_date,
        partner_id,
        case when partner_id is null then 'direct' else 'partner_attached' end as channel,
        renewal_window,
        renewal_plan_status,
        cast(count(*) as bigint) as renewals,
        cast(sum(arr_usd) as decimal(38, 6)) as arr_up_for_renewal_usd,
        cast(sum(case when health_category = 'At Risk' then 1 else 0 end) as bigint) as at_risk_renewals,
        cast(sum(case when is_at_risk_without_partner_activity then 1 else 0 end) as bigint)
            as at_risk_without_partner_activity,
        cast(sum(case when is_at_risk_without_partner_activity then arr_usd else 0 end) as decimal(38, 6))
            as at_risk_without_partner_activity_arr_usd
    from flagged
    group by partner_id, renewal_window, renewal_plan_status

)

select * from final
