{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change='fail',
    )
}}

{#- The health points and category of every account with ARR > 0 and week, as the refresh of that
    week scored them: the weekly history the rules that look back over refreshed weeks read
    (the health improvement reward, int_account_quarters_health_improved), kept in the
    intermediate layer so that no intermediate model reads a mart. The same rows and values as
    fct_account_health_weekly's (week_start, as_of_date, account_id, health_points,
    health_category). A refresh writes its target weeks (macros/weeks.sql) and keeps the others;
    a week either table lacks is a target week of both. -#}
with

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

final as (

    select
        scored.week_start,
        scored.as_of_date,
        scored.account_id,
        scored.health_points,
        scored.health_category
    from scored
    inner join weeks
        on scored.week_start = weeks.week_start
    where weeks.is_target

)

select * from final
