{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change=pp_contract_on_schema_change(),
    )
}}

{#- Campaign audiences (SPEC §7.5, playbook §09): per week, the accounts of each campaign
    (advanced_feature_workshop, power_user_program, roadmap_alignment_session) with the reason,
    by the rules of the seed campaign_audience_rules. A refresh writes its target weeks
    (macros/weeks.sql) and keeps the others. -#}
with

audiences as (

    select * from {{ ref('int_account_week_campaigns_matched') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

final as (

    select
        audiences.week_start,
        audiences.as_of_date,
        audiences.account_id,
        audiences.partner_id,
        audiences.campaign,
        audiences.reason
    from audiences
    inner join weeks
        on audiences.week_start = weeks.week_start
    where weeks.is_target

)

select * from final
