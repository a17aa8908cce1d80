with

base as (

    select * from {{ ref('base_crm__contacts') }}

),

staged as (

    select
        contact_id,
        account_id,
        title,
        is_executive,
        created_date
    from base
    where _reject_code is null

)

select * from staged
