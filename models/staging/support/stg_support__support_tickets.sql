with

base as (

    select * from {{ ref('base_support__support_tickets') }}

),

staged as (

    select
        ticket_id,
        account_id,
        opened_at,
        closed_at,
        priority,
        csat_score
    from base
    where _reject_code is null

)

select * from staged
