with

base as (

    select * from {{ ref('base_billing__subscription_items') }}

),

staged as (

    select
        item_id,
        subscription_id,
        product_id,
        quantity,
        unit_price_annual,
        discount_pct,
        effective_from,
        effective_to
    from base
    where _reject_code is null

)

select * from staged
