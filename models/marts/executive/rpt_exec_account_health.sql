{#- Executive view 5 (SPEC §7.4): the distribution of accounts across health categories every
    week and the tier movements week over week (accounts that moved into and out of each
    category, and whether they moved up or down). -#}
with

health as (

    select * from {{ ref('fct_account_health_weekly') }}
    where week_start <= {{ refresh_week() }}

),

categories as (

    select * from {{ ref('health_categories') }}

),

week_totals as (

    select
        week_start,
        count(*) as accounts_scored
    from health
    group by week_start

),

arrivals as (

    select
        health.week_start,
        health.health_category,
        count(*) as accounts,
        sum(case when health.is_tier_movement then 1 else 0 end) as moved_in,
        sum(
            case
                when health.is_tier_movement and current_category.sort_order > previous_category.sort_order
                    then 1
                else 0
            end
        ) as moved_in_improving,
        sum(
            case
                when health.is_tier_movement and current_category.sort_order < previous_category.sort_order
                    then 1
                else 0
            end
        ) as moved_in_declining
    from health
    inner join categories as current_category
        on health.health_category = current_category.health_category
    left join categories as previous_category
        on health.previous_category = previous_category.health_category
    group by health.week_start, health.health_category

),

departures as (

    select
        week_start,
        previous_category as health_category,
        count(*) as moved_out
    from health
    where is_tier_movement
    group by week_start, previous_category

),

final as (

    select
        arrivals.week_start,
        arrivals.health_category,
        cast(arrivals.accounts as bigint) as accounts,
        {{ pp_ratio('arrivals.accounts', 'week_totals.accounts_scored') }} as share_of_accounts,
        cast(arrivals.moved_in as bigint) as moved_in,
        cast(coalesce(departures.moved_out, 0) as bigint) as moved_out,
        cast(arrivals.moved_in_improving as bigint) as moved_in_improving,
        cast(arrivals.moved_in_declining as bigint) as moved_in_declining
    from arrivals
    inner join week_totals
        on arrivals.week_start = week_totals.week_start
    left join departures
        on arrivals.week_start = departures.week_start
        and arrivals.health_category = departures.health_category

)

select * from final
