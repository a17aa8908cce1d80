with

base as (

    select * from {{ ref('base_billing__products') }}

),

staged as (

    select
        product_id,
        product_name,
        product_line,
        edition_rank,
        pricing_model,
        list_price_annual
    from base
    where _reject_code is null

)

select * from staged
