{#- Every payout line earned up to D as the plan computes it today (SPEC §8): the incentives
    (int_payout_lines_earned) and the clawbacks of lost expansions (int_payout_clawbacks_computed),
    each with its deterministic line id and payout period. The ledger (fct_incentive_payouts)
    decides what is frozen and what adjusts. -#}
with

earned as (

    select * from {{ ref('int_payout_lines_earned') }}

),

clawbacks as (

    select * from {{ ref('int_payout_clawbacks_computed') }}

),

all_lines as (

    select
        incentive_type, source_type, source_id, account_id, earned_on, partner_id, partner_tier,
        plan_version, description, basis_usd, rate, amount_usd
    from earned
    union all
    select
        incentive_type, source_type, source_id, account_id, earned_on, partner_id, partner_tier,
        plan_version, description, basis_usd, rate, amount_usd
    from clawbacks

),

final as (

    select
        {{ dbt.hash("incentive_type || '|' || source_type || '|' || source_id || '|' || partner_id || '|' || cast(earned_on as " ~ dbt.type_string() ~ ")") }}
            as payout_line_id,
        cast({{ dbt.date_trunc('month', 'earned_on') }} as date) as payout_period,
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
        description
    from all_lines
    where earned_on <= {{ refresh_as_of_date() }}

)

select * from final
