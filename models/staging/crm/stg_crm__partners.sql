with

base as (

    select * from {{ ref('base_crm__partners') }}

),

staged as (

    select
        partner_id,
        partner_name,
        partner_type,
        partner_tier,
        region,
        onboarded_date
    from base
    where _reject_code is null

)

select * from staged
