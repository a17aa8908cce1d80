with

base as (

    select * from {{ ref('base_support__nps_responses') }}

),

staged as (

    select
        response_id,
        account_id,
        contact_id,
        responded_date,
        score
    from base
    where _reject_code is null

)

select * from staged
