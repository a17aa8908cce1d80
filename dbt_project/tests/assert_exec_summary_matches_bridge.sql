{#- The executive ARR summary's figures equal the underlying marts: per quarter, the 'all'
    channel's movements equal the bridge's, its ending ARR the monthly ARR, and the two channels
    add up to 'all'. Returns the quarters that differ. -#}
{{ config(meta={'dagster': {'ref': {'name': 'rpt_exec_partner_arr_summary'}}}) }}

with

summary as (

    select * from {{ ref('rpt_exec_partner_arr_summary') }}

),

bridge as (

    select
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        sum(case when movement_type in ('upsell', 'cross_sell') then arr_change_usd else 0 end) as expansion,
        sum(case when movement_type = 'churn' then -arr_change_usd else 0 end) as churn,
        sum(case when movement_type = 'new_logo' then arr_change_usd else 0 end) as new_logo
    from {{ ref('fct_arr_movements') }}
    group by cast({{ dbt.date_trunc('quarter', 'month_start') }} as date)

),

monthly as (

    select
        month_start,
        sum(arr_usd) as arr_usd
    from {{ ref('fct_arr_monthly') }}
    group by month_start

),

quarter_ends as (

    select
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        max(month_start) as last_month
    from monthly
    group by cast({{ dbt.date_trunc('quarter', 'month_start') }} as date)

),

channels as (

    select
        quarter_start,
        sum(ending_arr_usd) as channel_arr,
        sum(expansion_arr_usd) as channel_expansion
    from summary
    where channel <> 'all'
    group by quarter_start

)

select summary.quarter_start
from summary
left join bridge on summary.quarter_start = bridge.quarter_start
inner join quarter_ends on summary.quarter_start = quarter_ends.quarter_start
inner join monthly on quarter_ends.last_month = monthly.month_start
inner join channels on summary.quarter_start = channels.quarter_start
where summary.channel = 'all'
    and (
        summary.expansion_arr_usd <> coalesce(bridge.expansion, 0)
        or summary.churn_arr_usd <> coalesce(bridge.churn, 0)
        or summary.new_logo_arr_usd <> coalesce(bridge.new_logo, 0)
        or summary.ending_arr_usd <> monthly.arr_usd
        or channels.channel_arr <> summary.ending_arr_usd
        or channels.channel_expansion <> summary.expansion_arr_usd
    )
