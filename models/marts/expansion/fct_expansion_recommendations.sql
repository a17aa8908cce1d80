{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change=pp_contract_on_schema_change(),
    )
}}

{#- Weekly expansion recommendations (SPEC §7.3): per account and week, one row per opportunity
    type that applies (seat_usage, product_module, contract, reference, geographic) or, for an
    At Risk account, a retention recommendation — its expansions stay as rows blocked with
    at_risk_retention_only. Estimated ARR, gates (blocked_reason), message framework and the
    validation-step flag as in int_account_week_recommendations_gated. A refresh writes its
    target weeks (macros/weeks.sql) and keeps the others. -#}
with

recommendations as (

    select * from {{ ref('int_account_week_recommendations_gated') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

final as (

    select
        recommendations.week_start,
        recommendations.as_of_date,
        recommendations.account_id,
        recommendations.partner_id,
        recommendations.opportunity_type,
        recommendations.product_line,
        recommendations.recommended_product_id,
        recommendations.estimated_arr_usd,
        recommendations.estimate_basis,
        recommendations.units,
        recommendations.current_arr_usd,
        recommendations.priority,
        recommendations.priority_rank,
        recommendations.readiness_score,
        recommendations.message_framework,
        recommendations.blocked_reason,
        recommendations.is_blocked,
        recommendations.blocked_reasons_all,
        recommendations.trigger_signals,
        recommendations.trigger_reason,
        recommendations.health_category,
        recommendations.lifecycle_phase,
        recommendations.alignment_categories,
        recommendations.is_strong_opportunity,
        recommendations.is_inside_out_outside_in,
        recommendations.expansion_outreach_90d,
        recommendations.open_opportunity_ids,
        recommendations.validation_step_missing,
        recommendations.opportunities_missing_validation,
        recommendations.opportunity_ids_missing_validation
    from recommendations
    inner join weeks
        on recommendations.week_start = weeks.week_start
    where weeks.is_target

)

select * from final
