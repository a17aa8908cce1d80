{#- Does the score predict anything on this data? For every scored week and health category (and,
    pooled, over all weeks), the share of accounts whose ARR 13 and 26 weeks later (at the same
    rates as on the scored week, so FX does not count) is 0 (churned), lower (contracted) or higher
    (expanded). Only horizons that ended on or before D are counted. -#}
with

health as (

    select * from {{ ref('fct_account_health_weekly') }}
    where week_start <= {{ refresh_week() }}

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

observations as (

    select
        health.week_start,
        health.account_id,
        'health_category' as score_type,
        health.health_category as score_value,
        horizons.horizon_weeks,
        health.as_of_date,
        cast({{ dbt.dateadd('day', '7 * horizons.horizon_weeks', 'health.as_of_date') }} as date) as horizon_date
    from health
    cross join horizons
    where cast({{ dbt.dateadd('day', '7 * horizons.horizon_weeks', 'health.as_of_date') }} as date)
        <= {{ refresh_as_of_date() }}

),

valued_items as (

    {#- each observation's items at the scored day and at the horizon, valued at the scored day's
        month rate (constant currency) -#}
    select
        observations.week_start,
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
    group by week_start, account_id, score_type, score_value, horizon_weeks

),

by_week as (

    select
        'week' as grain,
        week_start,
        score_type,
        score_value,
        horizon_weeks,
        outcome
    from outcomes

),

pooled as (

    select
        'all_weeks' as grain,
        cast(null as date) as week_start,
        score_type,
        score_value,
        horizon_weeks,
        outcome
    from outcomes

),

counted as (

    select
        grain,
        week_start,
        score_type,
        score_value,
        {%- for horizon in [13, 26] %}
        sum(case when horizon_weeks = {{ horizon }} then 1 else 0 end) as accounts_{{ horizon }}w,
        {%- for outcome in ['churned', 'contracted', 'expanded'] %}
        sum(case when horizon_weeks = {{ horizon }} and outcome = '{{ outcome }}' then 1 else 0 end)
            as {{ outcome }}_{{ horizon }}w{% if not (loop.last and horizon == 26) %},{% endif %}{% endfor %}{% endfor %}
    from (
        select * from by_week
        union all
        select * from pooled
    ) as unioned
    group by grain, week_start, score_type, score_value

),

final as (

    select
        grain,
        week_start,
        score_type,
        score_value,
        {%- for horizon in [13, 26] %}
        cast(accounts_{{ horizon }}w as bigint) as accounts_{{ horizon }}w,
        {%- for outcome in ['churned', 'contracted', 'expanded'] %}
        cast({{ outcome }}_{{ horizon }}w as bigint) as {{ outcome }}_{{ horizon }}w,
        {{ pp_ratio(outcome ~ '_' ~ horizon ~ 'w', 'accounts_' ~ horizon ~ 'w') }}
            as {{ outcome }}_rate_{{ horizon }}w{% if not (loop.last and horizon == 26) %},{% endif %}
        {%- endfor %}{% endfor %}
    from counted

)

select * from final
