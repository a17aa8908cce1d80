{#- Every account-week of the signals, recommendations and campaign audiences is an account-week
    of fct_expansion_readiness_weekly (a scored account that week), and every At Risk account-week
    has exactly one retention recommendation. Returns the offending rows. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_expansion_recommendations'}}}) }}

with

readiness as (

    select * from {{ ref('fct_expansion_readiness_weekly') }}

),

signals as (

    select * from {{ ref('fct_expansion_signals') }}

),

recommendations as (

    select * from {{ ref('fct_expansion_recommendations') }}

),

audiences as (

    select * from {{ ref('rpt_campaign_audiences') }}

),

account_weeks as (

    select
        'fct_expansion_signals' as model_name,
        week_start,
        account_id
    from signals
    union all
    select
        'fct_expansion_recommendations' as model_name,
        week_start,
        account_id
    from recommendations
    union all
    select
        'rpt_campaign_audiences' as model_name,
        week_start,
        account_id
    from audiences

),

retention as (

    select
        week_start,
        account_id,
        count(*) as retention_recommendations
    from recommendations
    where opportunity_type = 'retention'
    group by week_start, account_id

),

problems as (

    select
        account_weeks.model_name,
        account_weeks.week_start,
        account_weeks.account_id,
        'not a scored account-week' as problem
    from account_weeks
    left join readiness
        on account_weeks.week_start = readiness.week_start
        and account_weeks.account_id = readiness.account_id
    where readiness.account_id is null
    union all
    select
        'fct_expansion_recommendations' as model_name,
        readiness.week_start,
        readiness.account_id,
        'At Risk without exactly one retention recommendation' as problem
    from readiness
    left join retention
        on readiness.week_start = retention.week_start
        and readiness.account_id = retention.account_id
    where readiness.health_category = 'At Risk'
        and coalesce(retention.retention_recommendations, 0) <> 1

)

select * from problems
