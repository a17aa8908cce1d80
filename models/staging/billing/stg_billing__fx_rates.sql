with

base as (

    select * from {{ ref('base_billing__fx_rates') }}

),

staged as (

    select
        currency,
        rate_date,
        usd_per_unit
    from base
    where _reject_code is null

)

select * from staged
