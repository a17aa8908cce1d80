{{ config(materialized='view') }}

{#- Each sized recommendation (int_account_week_recommendations_sized) in words: the basis of its
    estimate ("2 seats to bring utilization back to 70.0% x 240.00 USD per seat", "20.00% of
    current ARR", ...) and the message framework to pitch it with (SPEC §7.3), the first that
    applies: renewal_expansion (Renewal & Expansion phase), value_reinforcement (C5: ROI
    documented), adoption_expansion (U6: departments expanding); none for retention. -#}
with

sized as (

    select * from {{ ref('int_account_week_recommendations_sized') }}

),

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

signals as (

    select * from {{ ref('int_account_week_signals_fired') }}

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

explained as (

    select
        sized.*,
        case
            when sized.opportunity_type = 'seat_usage' and sized.utilization_basis = 'seats'
                then cast(cast(sized.units as bigint) as {{ pp_type_text() }}) || ' seats to bring utilization back to '
                || cast(cast(sized.target_utilization * 100 as decimal(9, 1)) as {{ pp_type_text() }}) || '% x '
                || cast(
                    cast(
                        {{ pp_ratio('sized.per_seat_arr_usd', 'sized.licensed_seats', 2) }} as decimal(38, 2)
                    ) as {{ pp_type_text() }}
                )
                || ' USD per seat'
            when sized.opportunity_type = 'seat_usage' and sized.utilization_basis = 'capacity'
                then cast(cast(sized.units as bigint) as {{ pp_type_text() }})
                || ' capacity units to bring utilization back to '
                || cast(cast(sized.target_utilization * 100 as decimal(9, 1)) as {{ pp_type_text() }}) || '% x '
                || cast(
                    cast(
                        {{ pp_ratio('sized.capacity_arr_usd', 'sized.capacity_quantity', 2) }} as decimal(38, 2)
                    ) as {{ pp_type_text() }}
                )
                || ' USD per unit'
            when sized.opportunity_type = 'seat_usage' then 'no seats or capacity to size'
            when sized.opportunity_type = 'product_module' and sized.entry_pricing_model = 'per_seat'
                then sized.recommended_product_id || ' list price '
                || cast(cast(sized.entry_list_price_usd as decimal(38, 2)) as {{ pp_type_text() }})
                || ' USD x ' || cast(cast(sized.units as bigint) as {{ pp_type_text() }}) || ' seats'
            when sized.opportunity_type = 'product_module'
                then sized.recommended_product_id || ' list price '
                || cast(cast(sized.entry_list_price_usd as decimal(38, 2)) as {{ pp_type_text() }}) || ' USD'
            when sized.opportunity_type = 'retention' then 'retention: no expansion, protect the current ARR'
            else cast(cast(sized.uplift_rate * 100 as decimal(9, 2)) as {{ pp_type_text() }}) || '% of current ARR'
        end as estimate_basis,
        case
            when sized.opportunity_type = 'retention' then cast(null as {{ pp_type_text() }})
            when measured.lifecycle_phase = 'Renewal & Expansion' then 'renewal_expansion'
            when coalesce(signal_flags.has_roi_documented, false) then 'value_reinforcement'
            when coalesce(signal_flags.has_departments_expanding, false) then 'adoption_expansion'
        end as message_framework
    from sized
    inner join measured
        on sized.week_start = measured.week_start
        and sized.account_id = measured.account_id
    left join signal_flags
        on sized.week_start = signal_flags.week_start
        and sized.account_id = signal_flags.account_id

),

final as (

    select
        week_start,
        account_id,
        opportunity_type,
        product_line,
        recommended_product_id,
        trigger_signals,
        trigger_reason,
        units,
        estimated_arr_usd,
        estimate_basis,
        message_framework
    from explained

)

select * from final
