{#- Executive view 1 (SPEC §7.4): per quarter and channel (all / partner_attached / direct), ARR
    won from new logos vs expansion vs lost to churn and contraction (from the bridge), ending ARR,
    channel mix, year-over-year growth, and NRR / GRR against the targets (seed executive_targets). -#}
with

movements as (

    select * from {{ ref('fct_arr_movements') }}

),

monthly as (

    select * from {{ ref('fct_arr_monthly') }}

),

retention as (

    select * from {{ ref('rpt_retention') }}
    where period_type = 'quarter' and dimension in ('overall', 'attachment')

),

targets as (

    select * from {{ ref('executive_targets') }}

),

quarters as (

    select
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        max(month_start) as last_month,
        count(distinct month_start) as months
    from monthly
    group by cast({{ dbt.date_trunc('quarter', 'month_start') }} as date)

),

channel_movements as (

    select
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        case when partner_id is null then 'direct' else 'partner_attached' end as channel,
        movement_type,
        arr_change_usd
    from movements

),

moved as (

    select
        quarter_start,
        channel,
        sum(case when movement_type = 'new_logo' then arr_change_usd else 0 end) as new_logo_arr_usd,
        sum(case when movement_type = 'reactivation' then arr_change_usd else 0 end) as reactivation_arr_usd,
        sum(case when movement_type in ('upsell', 'cross_sell') then arr_change_usd else 0 end) as expansion_arr_usd,
        sum(case when movement_type = 'contraction' then -arr_change_usd else 0 end) as contraction_arr_usd,
        sum(case when movement_type = 'churn' then -arr_change_usd else 0 end) as churn_arr_usd,
        sum(case when movement_type = 'fx_revaluation' then arr_change_usd else 0 end) as fx_revaluation_usd
    from (
        select * from channel_movements
        union all
        select
            quarter_start,
            'all' as channel,
            movement_type,
            arr_change_usd
        from channel_movements
    ) as both_grains
    group by quarter_start, channel

),

channel_arr as (

    select
        quarters.quarter_start,
        case when monthly.partner_id is null then 'direct' else 'partner_attached' end as channel,
        monthly.arr_usd
    from quarters
    inner join monthly
        on quarters.last_month = monthly.month_start

),

ending as (

    select
        quarter_start,
        channel,
        sum(arr_usd) as ending_arr_usd
    from (
        select * from channel_arr
        union all
        select
            quarter_start,
            'all' as channel,
            arr_usd
        from channel_arr
    ) as both_grains
    group by quarter_start, channel

),

rates as (

    select
        period_start as quarter_start,
        case when dimension = 'overall' then 'all' else dimension_value end as channel,
        nrr,
        grr
    from retention

),

joined as (

    select
        quarters.quarter_start,
        quarters.months = 3 as is_complete,
        channels.channel,
        coalesce(moved.new_logo_arr_usd, 0) as new_logo_arr_usd,
        coalesce(moved.reactivation_arr_usd, 0) as reactivation_arr_usd,
        coalesce(moved.expansion_arr_usd, 0) as expansion_arr_usd,
        coalesce(moved.contraction_arr_usd, 0) as contraction_arr_usd,
        coalesce(moved.churn_arr_usd, 0) as churn_arr_usd,
        coalesce(moved.fx_revaluation_usd, 0) as fx_revaluation_usd,
        coalesce(ending.ending_arr_usd, 0) as ending_arr_usd,
        coalesce(total.ending_arr_usd, 0) as total_ending_arr_usd,
        year_ago.ending_arr_usd as ending_arr_year_ago_usd,
        rates.nrr,
        rates.grr,
        targets.nrr_target,
        targets.grr_target
    from quarters
    cross join ( -- noqa: ST05
        select 'all' as channel
        union all
        select 'partner_attached'
        union all
        select 'direct'
    ) as channels
    cross join targets
    left join moved
        on quarters.quarter_start = moved.quarter_start and channels.channel = moved.channel
    left join ending
        on quarters.quarter_start = ending.quarter_start and channels.channel = ending.channel
    left join ending as total
        on quarters.quarter_start = total.quarter_start and total.channel = 'all'
    left join ending as year_ago
        on year_ago.quarter_start = cast({{ dbt.dateadd('year', -1, 'quarters.quarter_start') }} as date)
        and channels.channel = year_ago.channel
    left join rates
        on quarters.quarter_start = rates.quarter_start and channels.channel = rates.channel

),

final as (

    select
        quarter_start,
        is_complete,
        channel,
        new_logo_arr_usd,
        reactivation_arr_usd,
        expansion_arr_usd,
        contraction_arr_usd,
        churn_arr_usd,
        fx_revaluation_usd,
        ending_arr_usd,
        {{ pp_ratio('ending_arr_usd', 'total_ending_arr_usd') }} as share_of_arr,
        ending_arr_year_ago_usd,
        {{ pp_ratio('ending_arr_usd - ending_arr_year_ago_usd', 'ending_arr_year_ago_usd') }} as yoy_growth,
        nrr,
        grr,
        nrr_target,
        grr_target,
        cast(nrr as decimal(37, 10)) - nrr_target as nrr_gap_to_target,  -- 37: Spark keeps all 10 places
        cast(grr as decimal(37, 10)) - grr_target as grr_gap_to_target
    from joined

)

select * from final
