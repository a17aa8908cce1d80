{#- Every statement row adds up: its columns sum to its total, and its total equals the sum of the
    ledger's lines for that period and partner. Returns the rows that do not. -#}
{{ config(meta={'dagster': {'ref': {'name': 'rpt_partner_payout_statement'}}}) }}

with

statement as (

    select * from {{ ref('rpt_partner_payout_statement') }}

),

lines as (

    select
        payout_period,
        partner_id,
        sum(amount_usd) as lines_usd
    from {{ ref('fct_incentive_payouts') }}
    group by payout_period, partner_id

)

select
    statement.payout_period,
    statement.partner_id,
    statement.total_usd,
    lines.lines_usd
from statement
left join lines
    on statement.payout_period = lines.payout_period
    and statement.partner_id = lines.partner_id
where lines.lines_usd is null
    or statement.total_usd <> lines.lines_usd
    or statement.total_usd <> (
        {%- for incentive_type in incentive_types() %}
        statement.{{ incentive_type }}_usd{{ ' + ' if not loop.last }}
        {%- endfor %}
    )
