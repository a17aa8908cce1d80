{{ config(materialized='view') }}

{#- Which recommendations apply (SPEC §7.3), per scored account and week: one row per opportunity
    type, with the product line it is about and why it applies.
    - seat_usage: a trigger signal (seed recommendation_triggers: U1, U2, B1); line = the per-seat
      line with the most seats (the usage line with the most capacity units when capacity-based);
    - product_module: a trigger signal (U3, U4) and a line not held: the first line in cross-sell
      order (seed recommendation_product_lines) with its entry edition;
    - other signal-triggered types of the seed (geographic: B6);
    - contract: next subscription end within the seed recommendation_gates' window (30-60 days);
    - reference: mean NPS at or above the seed's minimum and ROI documented (C5);
    - retention: one per At Risk account (its expansions stay, blocked in _gated).
    A view, like _sized and _explained: steps of one computation that
    int_account_week_recommendations_gated materializes (no extra copy of every account-week). -#}
with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

signals as (

    select * from {{ ref('int_account_week_signals_fired') }}

),

catalogue as (

    select * from {{ ref('int_account_weeks_catalogue_compared') }}

),

triggers as (

    select * from {{ ref('recommendation_triggers') }}

),

gates as (

    select * from {{ ref('recommendation_gates') }}

),

roi_documented as (

    select
        week_start,
        account_id,
        max(case when signal_code = 'C5' then 1 else 0 end) = 1 as has_roi_documented
    from signals
    group by week_start, account_id

),

account_weeks as (

    select
        measured.week_start,
        measured.account_id,
        measured.days_to_next_end,
        measured.utilization_basis,
        measured.nps_mean_180d,
        scored.health_category,
        scored.health_points,
        coalesce(roi_documented.has_roi_documented, false) as has_roi_documented,
        gates.contract_min_days_to_end,
        gates.contract_max_days_to_end,
        gates.reference_min_nps
    from measured
    cross join gates
    inner join scored
        on measured.week_start = scored.week_start
        and measured.account_id = scored.account_id
    left join roi_documented
        on measured.week_start = roi_documented.week_start
        and measured.account_id = roi_documented.account_id

),

signal_triggers as (

    select
        signals.week_start,
        signals.account_id,
        triggers.opportunity_type,
        {{ dbt.listagg('signals.signal_code', "', '", 'order by signals.signal_code') }} as trigger_signals
    from signals
    inner join triggers
        on signals.signal_code = triggers.signal_code
    group by signals.week_start, signals.account_id, triggers.opportunity_type

),

candidates as (

    select
        signal_triggers.week_start,
        signal_triggers.account_id,
        signal_triggers.opportunity_type,
        case
            when account_weeks.utilization_basis = 'seats' then catalogue.main_seat_line
            when account_weeks.utilization_basis = 'capacity' then catalogue.main_capacity_line
        end as product_line,
        cast(null as {{ pp_type_text() }}) as recommended_product_id,
        signal_triggers.trigger_signals,
        'signals ' || signal_triggers.trigger_signals as trigger_reason
    from signal_triggers
    inner join account_weeks
        on signal_triggers.week_start = account_weeks.week_start
        and signal_triggers.account_id = account_weeks.account_id
    left join catalogue
        on signal_triggers.week_start = catalogue.week_start
        and signal_triggers.account_id = catalogue.account_id
    where signal_triggers.opportunity_type = 'seat_usage'

    union all

    select
        signal_triggers.week_start,
        signal_triggers.account_id,
        signal_triggers.opportunity_type,
        catalogue.cross_sell_line as product_line,
        catalogue.entry_product_id as recommended_product_id,
        signal_triggers.trigger_signals,
        'signals ' || signal_triggers.trigger_signals || '; ' || catalogue.cross_sell_line
        || ' not held' as trigger_reason
    from signal_triggers
    inner join catalogue
        on signal_triggers.week_start = catalogue.week_start
        and signal_triggers.account_id = catalogue.account_id
        and catalogue.cross_sell_line is not null
    where signal_triggers.opportunity_type = 'product_module'

    union all

    select
        week_start,
        account_id,
        opportunity_type,
        cast(null as {{ pp_type_text() }}) as product_line,
        cast(null as {{ pp_type_text() }}) as recommended_product_id,
        trigger_signals,
        'signals ' || trigger_signals as trigger_reason
    from signal_triggers
    where opportunity_type not in ('seat_usage', 'product_module')

    union all

    select
        week_start,
        account_id,
        'contract' as opportunity_type,
        cast(null as {{ pp_type_text() }}) as product_line,
        cast(null as {{ pp_type_text() }}) as recommended_product_id,
        cast(null as {{ pp_type_text() }}) as trigger_signals,
        'renewal in ' || cast(days_to_next_end as {{ pp_type_text() }}) || ' days' as trigger_reason
    from account_weeks
    where days_to_next_end between contract_min_days_to_end and contract_max_days_to_end

    union all

    select
        week_start,
        account_id,
        'reference' as opportunity_type,
        cast(null as {{ pp_type_text() }}) as product_line,
        cast(null as {{ pp_type_text() }}) as recommended_product_id,
        'C5' as trigger_signals,
        'mean NPS ' || cast(cast(nps_mean_180d as decimal(6, 2)) as {{ pp_type_text() }})
        || ' and ROI documented' as trigger_reason
    from account_weeks
    where nps_mean_180d >= reference_min_nps and has_roi_documented

    union all

    select
        week_start,
        account_id,
        'retention' as opportunity_type,
        cast(null as {{ pp_type_text() }}) as product_line,
        cast(null as {{ pp_type_text() }}) as recommended_product_id,
        cast(null as {{ pp_type_text() }}) as trigger_signals,
        'health ' || health_category || ' (' || cast(health_points as {{ pp_type_text() }})
        || ' points)' as trigger_reason
    from account_weeks
    where health_category = 'At Risk'

),

final as (

    select
        week_start,
        account_id,
        opportunity_type,
        product_line,
        recommended_product_id,
        trigger_signals,
        trigger_reason
    from candidates

)

select * from final
