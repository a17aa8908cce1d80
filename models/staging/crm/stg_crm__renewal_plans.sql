with

base as (

    select * from {{ ref('base_crm__renewal_plans') }}

),

staged as (

    select
        renewal_plan_id,
        subscription_id,
        status,
        updated_date
    from base
    where _reject_code is null

)

select * from staged
