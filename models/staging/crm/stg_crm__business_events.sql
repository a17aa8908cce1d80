with

base as (

    select * from {{ ref('base_crm__business_events') }}

),

staged as (

    select
        event_id,
        account_id,
        event_type,
        event_date,
        description
    from base
    where _reject_code is null

)

select * from staged
