{#- The frozen lines of the closed periods: a payout line's columns (declared once, in the
    contract of fct_incentive_payouts; macros/ledger.sql) and when they were frozen. -#}
with

source as (

    select * from {{ source('ledger', 'payout_lines_closed') }}

),

final as (

    select
        {{ payout_line_select() }},
        closed_at
    from source

)

select * from final
