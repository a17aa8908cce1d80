with

base as (

    select * from {{ ref('base_usage__feature_usage_weekly') }}

),

staged as (

    select
        account_id,
        feature_id,
        week_start,
        active_users,
        events
    from base
    where _reject_code is null

)

select * from staged
