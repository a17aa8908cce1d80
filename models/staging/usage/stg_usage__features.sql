with

base as (

    select * from {{ ref('base_usage__features') }}

),

staged as (

    select
        feature_id,
        product_id,
        feature_name,
        feature_tier
    from base
    where _reject_code is null

)

select * from staged
