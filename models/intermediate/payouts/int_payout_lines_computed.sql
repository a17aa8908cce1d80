{#- Every payout line earned up to D as the plan computes it today (SPEC §8): the incentives
    (int_payout_lines_earned) and the clawbacks of lost expansions (int_payout_clawbacks_computed),
    each with its deterministic line id and payout period, in a payout line's columns (declared
    once, in the contract of fct_incentive_payouts; macros/ledger.sql). A computed line adjusts
    nothing: only the ledger (fct_incentive_payouts) decides what is frozen and what adjusts. -#}
{%- set line_key = pp_id_key(['incentive_type', 'source_type', 'source_id', 'partner_id', 'earned_on']) -%}
{%- set assigned_here = {
    'payout_line_id': dbt.hash(line_key),
    'payout_period': 'cast(' ~ dbt.date_trunc('month', 'earned_on') ~ ' as date)',
    'adjusts_payout_line_id': 'cast(null as ' ~ dbt.type_string() ~ ')',
    'adjusts_period': 'cast(null as date)',
} -%}
with

earned as (

    select * from {{ ref('int_payout_lines_earned') }}

),

clawbacks as (

    select * from {{ ref('int_payout_clawbacks_computed') }}

),

all_lines as (

    select
        {{ payout_line_select(omit=assigned_here) }}
    from earned
    union all
    select
        {{ payout_line_select(omit=assigned_here) }}
    from clawbacks

),

final as (

    select
        {{ payout_line_select(expressions=assigned_here) }}
    from all_lines
    where earned_on <= {{ refresh_as_of_date() }}

)

select * from final
