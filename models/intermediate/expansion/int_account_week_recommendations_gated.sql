{#- Expansion recommendations (SPEC §7.3, skill 004's opportunity types) for every scored account
    and week, with their estimated ARR, gates and message framework:
    - seat_usage: a trigger signal of the seed recommendation_triggers (U1, U2, B1); estimate =
      seats (or capacity units) needed to bring utilization back to the target (seed
      recommendation_gates) x the current price per seat (ARR / seats of the held per-seat items,
      USD at the rate of D's month); line = the per-seat line with the most seats (the usage line
      with the most units for capacity-based accounts);
    - product_module: a trigger signal (U3, U4) and a line not held: the first line in cross-sell
      order, its entry edition's list price x current seats (per-seat lines; active users when the
      account has no seats) or the list price;
    - contract: next subscription end within the seed's window (30-60 days);
    - reference: mean NPS at or above the seed's minimum and ROI documented (C5);
    - geographic: B6; contract, reference and geographic are estimated as the seed
      recommendation_uplifts' rate x current ARR;
    - retention: one per At Risk account, instead of any expansion.
    Gates (blocked_reason, first applicable in this order): at_risk_retention_only (the account is
    At Risk: expansions are kept as blocked rows next to its retention recommendation),
    open_opportunity (an expansion opportunity on the same product line is open at D),
    expansion_fatigue (expansion_outreach activities in the trailing 90 days at or above the
    seed's maximum). Message framework, first applicable: renewal_expansion (Renewal & Expansion
    phase), value_reinforcement (C5), adoption_expansion (U6). -#}
with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

readiness as (

    select * from {{ ref('int_account_weeks_readiness_scored') }}

),

signals as (

    select * from {{ ref('int_account_week_signals_fired') }}

),

alignment as (

    select * from {{ ref('int_account_weeks_signals_aligned') }}

),

lines as (

    select * from {{ ref('int_account_week_lines_compared') }}

),

open_opportunities as (

    select * from {{ ref('int_account_week_opportunities_opened') }}

),

triggers as (

    select * from {{ ref('recommendation_triggers') }}

),

uplifts as (

    select * from {{ ref('recommendation_uplifts') }}

),

gates as (

    select * from {{ ref('recommendation_gates') }}

),

signal_flags as (

    select
        week_start,
        account_id,
        max(case when signal_code = 'C5' then 1 else 0 end) = 1 as has_roi_documented,
        max(case when signal_code = 'U6' then 1 else 0 end) = 1 as has_departments_expanding
    from signals
    group by week_start, account_id

),

account_weeks as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        measured.arr_usd,
        measured.lifecycle_phase,
        measured.days_to_next_end,
        measured.utilization_basis,
        measured.license_utilization,
        measured.licensed_seats,
        measured.seat_monthly_active_users,
        measured.max_product_monthly_active_users,
        measured.nps_mean_180d,
        measured.expansion_outreach_90d,
        scored.health_category,
        scored.health_points,
        readiness.readiness_score,
        readiness.expansion_priority,
        readiness.expansion_priority_rank,
        alignment.alignment_categories,
        alignment.is_strong_opportunity,
        alignment.is_inside_out_outside_in,
        coalesce(signal_flags.has_roi_documented, false) as has_roi_documented,
        coalesce(signal_flags.has_departments_expanding, false) as has_departments_expanding,
        gates.max_expansion_outreach_90d,
        gates.target_utilization,
        gates.contract_min_days_to_end,
        gates.contract_max_days_to_end,
        gates.reference_min_nps
    from measured
    cross join gates
    inner join scored
        on measured.week_start = scored.week_start
        and measured.account_id = scored.account_id
    inner join readiness
        on measured.week_start = readiness.week_start
        and measured.account_id = readiness.account_id
    inner join alignment
        on measured.week_start = alignment.week_start
        and measured.account_id = alignment.account_id
    left join signal_flags
        on measured.week_start = signal_flags.week_start
        and measured.account_id = signal_flags.account_id

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

seat_lines as (

    {#- the line a seat/usage expansion is about: most seats, else most capacity units -#}
    select
        week_start,
        account_id,
        product_line,
        per_seat_arr_usd,
        capacity_quantity,
        capacity_arr_usd,
        row_number() over (
            partition by week_start, account_id order by per_seat_quantity desc, product_line
        ) as seat_order,
        row_number() over (
            partition by week_start, account_id order by capacity_quantity desc, product_line
        ) as capacity_order
    from lines
    where is_owned

),

seat_prices as (

    select
        week_start,
        account_id,
        max(case when seat_order = 1 then product_line end) as main_seat_line,
        max(case when capacity_order = 1 and capacity_quantity > 0 then product_line end) as main_capacity_line,
        sum(per_seat_arr_usd) as per_seat_arr_usd,
        sum(capacity_quantity) as capacity_quantity,
        sum(capacity_arr_usd) as capacity_arr_usd
    from seat_lines
    group by week_start, account_id

),

recommended_lines as (

    select * from lines
    where cross_sell_order = 1

),

candidates as (

    select
        signal_triggers.week_start,
        signal_triggers.account_id,
        signal_triggers.opportunity_type,
        case
            when account_weeks.utilization_basis = 'seats' then seat_prices.main_seat_line
            when account_weeks.utilization_basis = 'capacity' then seat_prices.main_capacity_line
        end as product_line,
        cast(null as varchar) as recommended_product_id,
        signal_triggers.trigger_signals,
        'signals ' || signal_triggers.trigger_signals as trigger_reason
    from signal_triggers
    inner join account_weeks
        on signal_triggers.week_start = account_weeks.week_start
        and signal_triggers.account_id = account_weeks.account_id
    left join seat_prices
        on signal_triggers.week_start = seat_prices.week_start
        and signal_triggers.account_id = seat_prices.account_id
    where signal_triggers.opportunity_type = 'seat_usage'

    union all

    select
        signal_triggers.week_start,
        signal_triggers.account_id,
        signal_triggers.opportunity_type,
        recommended_lines.product_line,
        recommended_lines.entry_product_id as recommended_product_id,
        signal_triggers.trigger_signals,
        'signals ' || signal_triggers.trigger_signals || '; ' || recommended_lines.product_line
            || ' not held' as trigger_reason
    from signal_triggers
    inner join recommended_lines
        on signal_triggers.week_start = recommended_lines.week_start
        and signal_triggers.account_id = recommended_lines.account_id
    where signal_triggers.opportunity_type = 'product_module'

    union all

    select
        week_start,
        account_id,
        opportunity_type,
        cast(null as varchar) as product_line,
        cast(null as varchar) as recommended_product_id,
        trigger_signals,
        'signals ' || trigger_signals as trigger_reason
    from signal_triggers
    where opportunity_type not in ('seat_usage', 'product_module')

    union all

    select
        week_start,
        account_id,
        'contract' as opportunity_type,
        cast(null as varchar) as product_line,
        cast(null as varchar) as recommended_product_id,
        cast(null as varchar) as trigger_signals,
        'renewal in ' || cast(days_to_next_end as varchar) || ' days' as trigger_reason
    from account_weeks
    where days_to_next_end between contract_min_days_to_end and contract_max_days_to_end

    union all

    select
        week_start,
        account_id,
        'reference' as opportunity_type,
        cast(null as varchar) as product_line,
        cast(null as varchar) as recommended_product_id,
        'C5' as trigger_signals,
        'mean NPS ' || cast(cast(nps_mean_180d as decimal(6, 2)) as varchar) || ' and ROI documented' as trigger_reason
    from account_weeks
    where nps_mean_180d >= reference_min_nps
        and has_roi_documented

    union all

    select
        week_start,
        account_id,
        'retention' as opportunity_type,
        cast(null as varchar) as product_line,
        cast(null as varchar) as recommended_product_id,
        cast(null as varchar) as trigger_signals,
        'health ' || health_category || ' (' || cast(health_points as varchar) || ' points)' as trigger_reason
    from account_weeks
    where health_category = 'At Risk'

),

sized as (

    select
        candidates.*,
        case
            when candidates.opportunity_type = 'seat_usage' and account_weeks.utilization_basis = 'seats'
                then greatest(
                    ceiling({{ pp_ratio('account_weeks.seat_monthly_active_users', 'account_weeks.target_utilization') }})
                        - account_weeks.licensed_seats,
                    0
                )
            when candidates.opportunity_type = 'seat_usage' and account_weeks.utilization_basis = 'capacity'
                then greatest(
                    ceiling({{ pp_ratio('seat_prices.capacity_quantity * account_weeks.license_utilization',
                                        'account_weeks.target_utilization') }})
                        - seat_prices.capacity_quantity,
                    0
                )
            when candidates.opportunity_type = 'product_module' and recommended_lines.entry_pricing_model = 'per_seat'
                then case
                    when account_weeks.licensed_seats > 0 then account_weeks.licensed_seats
                    else account_weeks.max_product_monthly_active_users
                end
            when candidates.opportunity_type = 'product_module' then 1
        end as units,
        recommended_lines.entry_list_price_usd,
        recommended_lines.entry_pricing_model,
        seat_prices.per_seat_arr_usd,
        seat_prices.capacity_quantity,
        seat_prices.capacity_arr_usd,
        account_weeks.utilization_basis,
        account_weeks.licensed_seats,
        account_weeks.arr_usd,
        account_weeks.target_utilization,
        uplifts.uplift_rate
    from candidates
    inner join account_weeks
        on candidates.week_start = account_weeks.week_start
        and candidates.account_id = account_weeks.account_id
    left join seat_prices
        on candidates.week_start = seat_prices.week_start
        and candidates.account_id = seat_prices.account_id
    left join recommended_lines
        on candidates.week_start = recommended_lines.week_start
        and candidates.account_id = recommended_lines.account_id
        and candidates.recommended_product_id = recommended_lines.entry_product_id
    left join uplifts
        on candidates.opportunity_type = uplifts.opportunity_type

),

estimated as (

    select
        *,
        cast(
            case
                when opportunity_type = 'seat_usage' and utilization_basis = 'seats'
                    then {{ pp_ratio('units * per_seat_arr_usd', 'licensed_seats', 6) }}
                when opportunity_type = 'seat_usage' and utilization_basis = 'capacity'
                    then {{ pp_ratio('units * capacity_arr_usd', 'capacity_quantity', 6) }}
                when opportunity_type = 'seat_usage' then 0
                when opportunity_type = 'product_module' then units * entry_list_price_usd
                else round(arr_usd * uplift_rate, 6)
            end
            as decimal(38, 6)
        ) as estimated_arr_usd,
        case
            when opportunity_type = 'seat_usage' and utilization_basis = 'seats'
                then cast(cast(units as bigint) as varchar) || ' seats to bring utilization back to '
                    || cast(cast(target_utilization * 100 as decimal(9, 1)) as varchar) || '% x '
                    || cast(cast({{ pp_ratio('per_seat_arr_usd', 'licensed_seats', 2) }} as decimal(38, 2)) as varchar)
                    || ' USD per seat'
            when opportunity_type = 'seat_usage' and utilization_basis = 'capacity'
                then cast(cast(units as bigint) as varchar) || ' capacity units to bring utilization back to '
                    || cast(cast(target_utilization * 100 as decimal(9, 1)) as varchar) || '% x '
                    || cast(cast({{ pp_ratio('capacity_arr_usd', 'capacity_quantity', 2) }} as decimal(38, 2)) as varchar)
                    || ' USD per unit'
            when opportunity_type = 'seat_usage' then 'no seats or capacity to size'
            when opportunity_type = 'product_module' and entry_pricing_model = 'per_seat'
                then recommended_product_id || ' list price ' || cast(cast(entry_list_price_usd as decimal(38, 2)) as varchar)
                    || ' USD x ' || cast(cast(units as bigint) as varchar) || ' seats'
            when opportunity_type = 'product_module'
                then recommended_product_id || ' list price ' || cast(cast(entry_list_price_usd as decimal(38, 2)) as varchar)
                    || ' USD'
            when opportunity_type = 'retention' then 'retention: no expansion, protect the current ARR'
            else cast(cast(uplift_rate * 100 as decimal(9, 2)) as varchar) || '% of current ARR'
        end as estimate_basis
    from sized

),

open_lines as (

    select
        week_start,
        account_id,
        product_line,
        {{ dbt.listagg('opportunity_id', "', '", 'order by opportunity_id') }} as open_opportunity_ids
    from open_opportunities
    where product_line is not null
    group by week_start, account_id, product_line

),

validation_gaps as (

    select
        week_start,
        account_id,
        count(*) as opportunities_missing_validation,
        {{ dbt.listagg('opportunity_id', "', '", 'order by opportunity_id') }} as opportunity_ids_missing_validation
    from open_opportunities
    where is_validation_step_missing
    group by week_start, account_id

),

gated as (

    select
        estimated.week_start,
        account_weeks.as_of_date,
        estimated.account_id,
        account_weeks.partner_id,
        estimated.opportunity_type,
        estimated.product_line,
        estimated.recommended_product_id,
        estimated.trigger_signals,
        estimated.trigger_reason,
        estimated.units,
        estimated.estimated_arr_usd,
        estimated.estimate_basis,
        account_weeks.arr_usd as current_arr_usd,
        account_weeks.readiness_score,
        account_weeks.expansion_priority,
        account_weeks.expansion_priority_rank,
        account_weeks.health_category,
        account_weeks.lifecycle_phase,
        account_weeks.alignment_categories,
        account_weeks.is_strong_opportunity,
        account_weeks.is_inside_out_outside_in,
        account_weeks.expansion_outreach_90d,
        estimated.opportunity_type <> 'retention' and account_weeks.health_category = 'At Risk' as is_at_risk_blocked,
        estimated.opportunity_type <> 'retention' and open_lines.open_opportunity_ids is not null as is_open_opportunity_blocked,
        estimated.opportunity_type <> 'retention'
            and account_weeks.expansion_outreach_90d >= account_weeks.max_expansion_outreach_90d as is_fatigue_blocked,
        open_lines.open_opportunity_ids,
        case
            when estimated.opportunity_type = 'retention' then cast(null as varchar)
            when account_weeks.lifecycle_phase = 'Renewal & Expansion' then 'renewal_expansion'
            when account_weeks.has_roi_documented then 'value_reinforcement'
            when account_weeks.has_departments_expanding then 'adoption_expansion'
        end as message_framework,
        coalesce(validation_gaps.opportunities_missing_validation, 0) > 0 as validation_step_missing,
        cast(coalesce(validation_gaps.opportunities_missing_validation, 0) as bigint) as opportunities_missing_validation,
        validation_gaps.opportunity_ids_missing_validation
    from estimated
    inner join account_weeks
        on estimated.week_start = account_weeks.week_start
        and estimated.account_id = account_weeks.account_id
    left join open_lines
        on estimated.week_start = open_lines.week_start
        and estimated.account_id = open_lines.account_id
        and estimated.product_line = open_lines.product_line
    left join validation_gaps
        on estimated.week_start = validation_gaps.week_start
        and estimated.account_id = validation_gaps.account_id

),

final as (

    select
        week_start,
        as_of_date,
        account_id,
        partner_id,
        opportunity_type,
        product_line,
        recommended_product_id,
        trigger_signals,
        trigger_reason,
        cast(units as decimal(38, 4)) as units,
        estimated_arr_usd,
        estimate_basis,
        current_arr_usd,
        readiness_score,
        expansion_priority as priority,
        expansion_priority_rank as priority_rank,
        health_category,
        lifecycle_phase,
        alignment_categories,
        is_strong_opportunity,
        is_inside_out_outside_in,
        message_framework,
        case
            when is_at_risk_blocked then 'at_risk_retention_only'
            when is_open_opportunity_blocked then 'open_opportunity'
            when is_fatigue_blocked then 'expansion_fatigue'
        end as blocked_reason,
        is_at_risk_blocked or is_open_opportunity_blocked or is_fatigue_blocked as is_blocked,
        nullif(
            rtrim(
                case when is_at_risk_blocked then 'at_risk_retention_only, ' else '' end
                || case when is_open_opportunity_blocked then 'open_opportunity, ' else '' end
                || case when is_fatigue_blocked then 'expansion_fatigue, ' else '' end,
                ', '
            ),
            ''
        ) as blocked_reasons_all,
        cast(expansion_outreach_90d as bigint) as expansion_outreach_90d,
        open_opportunity_ids,
        validation_step_missing,
        opportunities_missing_validation,
        opportunity_ids_missing_validation
    from gated

)

select * from final
