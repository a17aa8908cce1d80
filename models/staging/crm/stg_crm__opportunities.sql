with

base as (

    select * from {{ ref('base_crm__opportunities') }}

),

staged as (

    select
        opportunity_id,
        account_id,
        partner_id,
        partner_role,
        opportunity_type,
        product_id,
        stage,
        amount_arr,
        currency,
        trigger_type,
        created_date,
        close_date,
        renewal_subscription_id
    from base
    where _reject_code is null

)

select * from staged
