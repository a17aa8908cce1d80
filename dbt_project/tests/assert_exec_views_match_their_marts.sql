{#- The other executive views agree with the marts they summarize. Returns each disagreement. -#}
{{ config(meta={'dagster': {'ref': {'name': 'rpt_exec_account_health'}}}) }}

with

health_counts as (

    select
        week_start,
        health_category,
        count(*) as accounts
    from {{ ref('fct_account_health_weekly') }}
    where week_start <= {{ refresh_week() }}
    group by week_start, health_category

),

health_view as (

    select * from {{ ref('rpt_exec_account_health') }}

),

renewals_view as (

    select
        sum(arr_up_for_renewal_usd) as arr_usd,
        sum(renewals) as renewals
    from {{ ref('rpt_exec_renewals') }}

),

renewals_mart as (

    select
        coalesce(sum(arr_usd), 0) as arr_usd,
        count(*) as renewals
    from {{ ref('fct_renewals') }}
    where renewal_status = 'open' and days_until_end >= 0 and renewal_window <> 'later'

),

leaderboard as (

    select sum(expansion_arr_usd) as expansion_arr_usd
    from {{ ref('rpt_exec_partner_leaderboard') }}

),

bridge_window as (

    select coalesce(sum(movements.arr_change_usd), 0) as expansion_arr_usd
    from {{ ref('fct_arr_movements') }} as movements
    inner join ( -- noqa: ST05
        select distinct
            window_start,
            window_last_month
        from {{ ref('rpt_exec_partner_leaderboard') }}
    ) as bounds
        on movements.month_start between bounds.window_start and bounds.window_last_month
    where movements.movement_type in ('upsell', 'cross_sell') and movements.partner_id is not null

),

pipeline as (

    select sum(open_pipeline_arr_usd) as arr_usd
    from {{ ref('rpt_exec_expansion_pipeline') }}
    where dimension = 'overall'

),

open_expansions as (

    select coalesce(sum(amount_arr_usd), 0) as arr_usd
    from {{ ref('int_opportunities_enriched') }}
    where is_expansion and not is_closed

)

select
    'health distribution' as view_name,
    health_counts.week_start as detail
from health_counts
full outer join health_view
    on health_counts.week_start = health_view.week_start
    and health_counts.health_category = health_view.health_category
where coalesce(health_counts.accounts, -1) <> coalesce(health_view.accounts, -2)
union all
select
    'renewals',
    null
from renewals_view cross join renewals_mart
where coalesce(renewals_view.arr_usd, 0) <> renewals_mart.arr_usd
    or coalesce(renewals_view.renewals, 0) <> renewals_mart.renewals
union all
select
    'leaderboard',
    null
from leaderboard cross join bridge_window
where coalesce(leaderboard.expansion_arr_usd, 0) <> bridge_window.expansion_arr_usd
union all
select
    'pipeline',
    null
from pipeline cross join open_expansions
where coalesce(pipeline.arr_usd, 0) <> open_expansions.arr_usd
