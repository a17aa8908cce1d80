{#- Does the score predict anything on this data? For every scored week and health category (and,
    pooled, over all weeks), the share of accounts whose ARR 13 and 26 weeks later (at the same
    rates as on the scored week, so FX does not count) is 0 (churned), lower (contracted) or higher
    (expanded). Only horizons that ended on or before D are counted: the outcomes each refreshed week
    counted when a horizon ended on its D (int_score_outcomes_counted), up to the run's week. -#}
with

outcomes as (

    select * from {{ ref('int_score_outcomes_counted') }}
    where week_start <= {{ refresh_week() }}

),

by_week as (

    select
        'week' as grain,
        scored_week_start as week_start,
        score_type,
        score_value,
        horizon_weeks,
        outcome,
        accounts
    from outcomes

),

pooled as (

    select
        'all_weeks' as grain,
        cast(null as date) as week_start,
        score_type,
        score_value,
        horizon_weeks,
        outcome,
        accounts
    from outcomes

),

counted as (

    select
        grain,
        week_start,
        score_type,
        score_value,
        {%- for horizon in [13, 26] %}
        sum(case when horizon_weeks = {{ horizon }} then accounts else 0 end) as accounts_{{ horizon }}w,
        {%- for outcome in ['churned', 'contracted', 'expanded'] %}
        sum(case when horizon_weeks = {{ horizon }} and outcome = '{{ outcome }}' then accounts else 0 end)
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
