with

products as (

    select * from {{ ref('stg_billing__products') }}

),

final as (

    select
        product_id,
        product_name,
        product_line,
        edition_rank,
        pricing_model,
        list_price_annual as list_price_annual_usd
    from products

)

select * from final
