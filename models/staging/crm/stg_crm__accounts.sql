with

base as (

    select * from {{ ref('base_crm__accounts') }}

),

staged as (

    select
        account_id,
        account_name,
        partner_id,
        segment,
        industry,
        region,
        country,
        created_date
    from base
    where _reject_code is null

)

select * from staged
