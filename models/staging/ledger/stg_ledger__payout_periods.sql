with

source as (

    select * from {{ source('ledger', 'payout_periods') }}

),

final as (

    select
        payout_period,
        status,
        closed_at,
        payout_lines,
        total_usd
    from source
    where status = 'closed'

)

select * from final
