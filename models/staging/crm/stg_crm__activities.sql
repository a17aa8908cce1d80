with

base as (

    select * from {{ ref('base_crm__activities') }}

),

staged as (

    select
        activity_id,
        account_id,
        partner_id,
        contact_id,
        activity_type,
        activity_date
    from base
    where _reject_code is null

)

select * from staged
