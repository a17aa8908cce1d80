{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change='fail',
    )
}}

{#- The score backtest's outcomes, counted in the week their horizon ends (decision 152). A health
    category given on week W is judged 13 and 26 weeks later: the account's ARR on the horizon day
    against its ARR on W's as-of date, both at the rate of W's month (constant currency), is 0
    (churned), lower (contracted), higher (expanded) or the same (flat). The horizon day of W is
    W's D + 7 × horizon weeks, which is the as-of date D of week W + horizon: so each refreshed
    week T holds the outcomes whose horizon ended on its D, counted per scored week, category and
    outcome. A refresh writes its target weeks (macros/weeks.sql) and keeps the others, as the
    health history does: the outcome of a horizon is the one the refresh of the week it ended in
    saw, and a backfill of that week judges it again. rpt_score_backtest adds the weeks up. -#}
with

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

health as (

    select * from {{ ref('int_account_weeks_health_snapshotted') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_monthly') }}

),

horizons as (

    select 13 as horizon_weeks
    union all
    select 26 as horizon_weeks

),

observed_weeks as (

    select
        week_start,
        as_of_date
    from weeks
    where is_target

),

observations as (

    {#- every account scored on the week a horizon before an observed week -#}
    select
        observed_weeks.week_start,
        health.week_start as scored_week_start,
        health.account_id,
        'health_category' as score_type,
        health.health_category as score_value,
        horizons.horizon_weeks,
        health.as_of_date,
        observed_weeks.as_of_date as horizon_date
    from observed_weeks
    cross join horizons
    inner join health
        on health.week_start
        = cast({{ dbt.dateadd('day', '-7 * horizons.horizon_weeks', 'observed_weeks.week_start') }} as date)

),

valued_items as (

    {#- each observation's items at the scored day and at the horizon, valued at the scored day's
        month rate (constant currency) -#}
    select
        observations.week_start,
        observations.scored_week_start,
        observations.account_id,
        observations.score_type,
        observations.score_value,
        observations.horizon_weeks,
        case
            when items.active_from <= observations.as_of_date and items.active_to > observations.as_of_date
                then items.arr_local * fx_rates.usd_per_unit
            else 0
        end as start_arr,
        case
            when items.active_from <= observations.horizon_date and items.active_to > observations.horizon_date
                then items.arr_local * fx_rates.usd_per_unit
            else 0
        end as horizon_arr
    from observations
    inner join items
        on observations.account_id = items.account_id
        and (
            (items.active_from <= observations.as_of_date and items.active_to > observations.as_of_date)
            or (items.active_from <= observations.horizon_date and items.active_to > observations.horizon_date)
        )
    left join fx_rates
        on items.currency = fx_rates.currency
        and fx_rates.month_start = cast({{ dbt.date_trunc('month', 'observations.as_of_date') }} as date)

),

outcomes as (

    select
        week_start,
        scored_week_start,
        account_id,
        score_type,
        score_value,
        horizon_weeks,
        case
            when sum(horizon_arr) = 0 then 'churned'
            when sum(horizon_arr) < sum(start_arr) then 'contracted'
            when sum(horizon_arr) > sum(start_arr) then 'expanded'
            else 'flat'
        end as outcome
    from valued_items
    group by week_start, scored_week_start, account_id, score_type, score_value, horizon_weeks

),

counted as (

    select
        week_start,
        scored_week_start,
        score_type,
        score_value,
        horizon_weeks,
        outcome,
        count(*) as accounts
    from outcomes
    group by week_start, scored_week_start, score_type, score_value, horizon_weeks, outcome

),

final as (

    select
        week_start,
        scored_week_start,
        score_type,
        score_value,
        cast(horizon_weeks as integer) as horizon_weeks,
        outcome,
        cast(accounts as bigint) as accounts
    from counted

)

select * from final
