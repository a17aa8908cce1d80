{#- One row per payout period and partner: the amount per incentive type and the total (SPEC §8).
    Exact decimals here; the finance files round each line to cents and sum the rounded lines. -#}
with

lines as (

    select * from {{ ref('fct_incentive_payouts') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

aggregated as (

    select
        payout_period,
        partner_id,
        max(period_status) as period_status,
        count(*) as payout_lines,
        {%- for incentive_type in incentive_types() %}
        sum(case when incentive_type = '{{ incentive_type }}' then amount_usd else 0 end) as {{ incentive_type }}_usd,
        {%- endfor %}
        sum(amount_usd) as total_usd
    from lines
    group by payout_period, partner_id

),

final as (

    select
        aggregated.payout_period,
        aggregated.partner_id,
        partners.partner_name,
        partners.partner_tier as current_partner_tier,
        aggregated.period_status,
        cast(aggregated.payout_lines as bigint) as payout_lines,
        {%- for incentive_type in incentive_types() %}
        cast(aggregated.{{ incentive_type }}_usd as decimal(38, 6)) as {{ incentive_type }}_usd,
        {%- endfor %}
        cast(aggregated.total_usd as decimal(38, 6)) as total_usd
    from aggregated
    left join partners
        on aggregated.partner_id = partners.partner_id

)

select * from final
