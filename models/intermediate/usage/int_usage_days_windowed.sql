{{ config(materialized='view') }}

{#- The daily usage rows this run reads (decision 107): whole ISO weeks from the earliest week its
    figures look back to, to the latest as-of date D of the weeks it scores (int_weeks_spined). The
    look-back is the longer of int_account_weeks_usage_measured's 13-week trend (the scored week and
    the 12 before it) and the longest capacity window (seed usage_capacity). A weekly refresh reads a
    few months of usage instead of the whole history; a full refresh or a backfill scores every week
    it covers, so it reads all of it. Facts dated after the latest D are never needed (every figure of
    a week is computed from facts on or before its D). -#}
with

usage as (

    select * from {{ ref('stg_usage__usage_daily') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

capacity as (

    select * from {{ ref('usage_capacity') }}

),

look_back as (

    select greatest(7 * 12, coalesce(max(window_days), 0)) as days
    from capacity

),

span as (

    select
        cast(
            {{ dbt.date_trunc('week', dbt.dateadd('day', '-look_back.days', 'min(weeks.week_start)')) }} as date
        ) as first_day,
        max(weeks.as_of_date) as last_day
    from weeks
    cross join look_back
    group by look_back.days

),

final as (

    select
        usage.account_id,
        usage.product_id,
        usage.usage_date,
        usage.active_users,
        usage.weekly_active_users,
        usage.monthly_active_users,
        usage.api_calls,
        usage.storage_gb,
        usage.active_departments
    from usage
    cross join span
    where usage.usage_date between span.first_day and span.last_day

)

select * from final
