{#- Executive view 6 (SPEC §7.4): action items at D, one row each —
    declining_account   accounts whose health declined over 4 weeks (trend_direction declining),
    enablement_review   partners whose renewal rate of the last complete quarter is below the program's,
    churned_arr         accounts that churned in the last churn_lookback_days (seed executive_targets),
                        with their last health category and the signals they showed. -#}
with

health as (

    select * from {{ ref('fct_account_health_weekly') }}
    where week_start <= {{ refresh_week() }}

),

retention as (

    select * from {{ ref('rpt_retention') }}
    where period_type = 'quarter' and dimension = 'partner'

),

movements as (

    select * from {{ ref('fct_arr_movements') }}

),

signals as (

    select * from {{ ref('fct_expansion_signals') }}

),

targets as (

    select * from {{ ref('executive_targets') }}

),

declining as (

    select
        'declining_account' as item_type,
        account_id,
        partner_id,
        health_category,
        cast(health_points - points_4_weeks_ago as decimal(38, 6)) as value,
        'health points ' || cast(points_4_weeks_ago as {{ pp_type_text() }}) || ' -> '
        || cast(health_points as {{ pp_type_text() }})
        || ' in 4 weeks (' || health_category || ')' as detail
    from health
    where week_start = {{ refresh_week() }} and trend_direction = 'declining'

),

latest_quarter as (

    select max(period_start) as period_start from retention

),

enablement as (

    select
        'enablement_review' as item_type,
        cast(null as {{ pp_type_text() }}) as account_id,
        retention.dimension_value as partner_id,
        cast(null as {{ pp_type_text() }}) as health_category,
        cast(retention.renewal_rate as decimal(38, 6)) as value,
        'renewal rate ' || cast(round(retention.renewal_rate * 100, 1) as {{ pp_type_text() }}) || '% vs program '
        || cast(round(retention.program_renewal_rate * 100, 1) as {{ pp_type_text() }}) || '% in the quarter of '
        || cast(retention.period_start as {{ pp_type_text() }}) as detail
    from retention
    inner join latest_quarter
        on retention.period_start = latest_quarter.period_start
    where retention.needs_enablement_review

),

churns as (

    select
        movements.account_id,
        movements.month_start,
        max(movements.partner_id) as partner_id,
        -sum(movements.arr_change_usd) as churned_arr_usd
    from movements
    cross join targets
    where movements.movement_type = 'churn'
        and movements.month_start >= cast({{ dbt.date_trunc('month',
            dbt.dateadd('day', '-targets.churn_lookback_days', refresh_as_of_date())) }} as date)
    group by movements.account_id, movements.month_start

),

last_scores as (

    select
        churns.account_id,
        churns.month_start,
        health.week_start,
        health.health_category,
        row_number() over (partition by churns.account_id, churns.month_start order by health.week_start desc)
            as recency
    from churns
    inner join health
        on churns.account_id = health.account_id
        and health.as_of_date < cast({{ dbt.dateadd('month', 1, 'churns.month_start') }} as date)

),

last_signals as (

    select
        last_scores.account_id,
        last_scores.month_start,
        {{ dbt.listagg('distinct signals.signal_code', "', '", "order by signals.signal_code") }} as signal_codes
    from last_scores
    inner join signals
        on last_scores.account_id = signals.account_id
        and last_scores.week_start = signals.week_start
    where last_scores.recency = 1
    group by last_scores.account_id, last_scores.month_start

),

churned as (

    select
        'churned_arr' as item_type,
        churns.account_id,
        churns.partner_id,
        last_scores.health_category,
        cast(churns.churned_arr_usd as decimal(38, 6)) as value,
        'churned ' || cast(round(churns.churned_arr_usd, 2) as {{ pp_type_text() }}) || ' USD ARR in '
        || cast(churns.month_start as {{ pp_type_text() }})
        || '; last category '
        || coalesce(last_scores.health_category, 'unscored')
        || '; signals: ' || coalesce(last_signals.signal_codes, 'none') as detail
    from churns
    left join last_scores
        on churns.account_id = last_scores.account_id
        and churns.month_start = last_scores.month_start
        and last_scores.recency = 1
    left join last_signals
        on churns.account_id = last_signals.account_id
        and churns.month_start = last_signals.month_start

),

final as (

    select
        {{ refresh_as_of_date() }} as as_of_date,
        item_type,
        account_id,
        partner_id,
        health_category,
        value,
        detail
    from (
        select * from declining
        union all
        select * from enablement
        union all
        select * from churned
    ) as items

)

select * from final
