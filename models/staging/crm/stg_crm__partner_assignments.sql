with

base as (

    select * from {{ ref('base_crm__partner_assignments') }}

),

staged as (

    select
        account_id,
        partner_id,
        valid_from,
        valid_to
    from base
    where _reject_code is null

)

select * from staged
