{#- Every rpt_retention row: starting + expansion - contraction - churn = ending, exactly; upsell +
    cross-sell = expansion; GRR never above 1. Returns the rows that break it. -#}
{{ config(meta={'dagster': {'ref': {'name': 'rpt_retention'}}}) }}

with

retention as (

    select * from {{ ref('rpt_retention') }}

)

select * -- noqa: AM04
from retention
where starting_arr_usd + expansion_arr_usd - contraction_arr_usd - churn_arr_usd <> ending_arr_usd
    or upsell_arr_usd + cross_sell_arr_usd <> expansion_arr_usd
    or grr > 1
    or upsell_arr_usd < 0
    or cross_sell_arr_usd < 0
