with

source as (

    select * from {{ source('ledger', 'payout_lines_closed') }}

),

final as (

    select
        payout_line_id,
        payout_period,
        partner_id,
        partner_tier,
        incentive_type,
        source_type,
        source_id,
        account_id,
        earned_on,
        basis_usd,
        rate,
        amount_usd,
        plan_version,
        description,
        adjusts_payout_line_id,
        adjusts_period,
        closed_at
    from source

)

select * from final
