with

base as (

    select * from {{ ref('base_usage__usage_daily') }}

),

staged as (

    select
        account_id,
        product_id,
        usage_date,
        active_users,
        weekly_active_users,
        monthly_active_users,
        api_calls,
        storage_gb,
        active_departments
    from base
    where _reject_code is null

)

select * from staged
