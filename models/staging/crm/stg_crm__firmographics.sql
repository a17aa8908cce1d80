with

base as (

    select * from {{ ref('base_crm__firmographics') }}

),

staged as (

    select
        account_id,
        snapshot_date,
        employee_count,
        open_job_postings
    from base
    where _reject_code is null

)

select * from staged
