with

base as (

    select * from {{ ref('base_crm__milestones') }}

),

staged as (

    select
        milestone_id,
        account_id,
        milestone_type,
        milestone_name,
        due_date,
        completed_date
    from base
    where _reject_code is null

)

select * from staged
