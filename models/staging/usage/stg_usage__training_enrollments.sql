with

base as (

    select * from {{ ref('base_usage__training_enrollments') }}

),

staged as (

    select
        enrollment_id,
        account_id,
        course_id,
        enrolled_date,
        completed_date
    from base
    where _reject_code is null

)

select * from staged
