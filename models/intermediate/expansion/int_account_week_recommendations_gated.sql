{#- Expansion recommendations (SPEC §7.3) for every scored account and week, with their gates and
    the account's context: the explained recommendations (int_account_week_recommendations_proposed
    → _sized → _explained) and whether each may go out. Gates (blocked_reason, first applicable in
    this order; blocked_reasons_all lists every one that applies): at_risk_retention_only (the
    account is At Risk: expansions are kept as blocked rows next to its retention recommendation),
    open_opportunity (an expansion opportunity on the same product line is open at D),
    expansion_fatigue (expansion_outreach activities in the trailing 90 days at or above the seed
    recommendation_gates' maximum). Retention is never blocked. Also flags open opportunities that
    skipped the validation step. -#}
with

explained as (

    select * from {{ ref('int_account_week_recommendations_explained') }}

),

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

readiness as (

    select * from {{ ref('int_account_weeks_readiness_scored') }}

),

alignment as (

    select * from {{ ref('int_account_weeks_signals_aligned') }}

),

open_opportunities as (

    select * from {{ ref('int_account_week_opportunities_opened') }}

),

gates as (

    select * from {{ ref('recommendation_gates') }}

),

account_weeks as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        measured.arr_usd,
        measured.lifecycle_phase,
        measured.expansion_outreach_90d,
        scored.health_category,
        readiness.readiness_score,
        readiness.expansion_priority,
        readiness.expansion_priority_rank,
        alignment.alignment_categories,
        alignment.is_strong_opportunity,
        alignment.is_inside_out_outside_in,
        gates.max_expansion_outreach_90d
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
        explained.*,
        account_weeks.as_of_date,
        account_weeks.partner_id,
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
        explained.opportunity_type <> 'retention' and account_weeks.health_category = 'At Risk' as is_at_risk_blocked,
        explained.opportunity_type <> 'retention'
        and open_lines.open_opportunity_ids is not null as is_open_opportunity_blocked,
        explained.opportunity_type <> 'retention'
        and account_weeks.expansion_outreach_90d >= account_weeks.max_expansion_outreach_90d as is_fatigue_blocked,
        open_lines.open_opportunity_ids,
        coalesce(validation_gaps.opportunities_missing_validation, 0) > 0 as validation_step_missing,
        cast(coalesce(validation_gaps.opportunities_missing_validation, 0) as bigint)
            as opportunities_missing_validation,
        validation_gaps.opportunity_ids_missing_validation
    from explained
    inner join account_weeks
        on explained.week_start = account_weeks.week_start
        and explained.account_id = account_weeks.account_id
    left join open_lines
        on explained.week_start = open_lines.week_start
        and explained.account_id = open_lines.account_id
        and explained.product_line = open_lines.product_line
    left join validation_gaps
        on explained.week_start = validation_gaps.week_start
        and explained.account_id = validation_gaps.account_id

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
            trim(
                trailing ', ' from
                case when is_at_risk_blocked then 'at_risk_retention_only, ' else '' end
                || case when is_open_opportunity_blocked then 'open_opportunity, ' else '' end
                || case when is_fatigue_blocked then 'expansion_fatigue, ' else '' end
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
