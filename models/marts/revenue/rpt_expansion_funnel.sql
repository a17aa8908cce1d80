{#- The expansion funnel (SPEC §4) per quarter (up to the one holding D) and dimension, over
    Upsell / Cross-sell / License Expansion opportunities: open and qualified pipeline at the
    quarter end (D for the current quarter), coverage vs the configured target, conversion
    (won / qualified, for deals created in the quarter), win rate (won / closed), sales cycle,
    sourced vs influenced won ARR, win rate vs New Business, the share of won expansions that went
    through a validation step, and time to first expansion. Dimensions use the deal's partner.
    The facts counted (one row per deal and fact, each with its own flags) are
    int_expansion_funnel_facts_collected. -#}
with

facts as (

    select * from {{ ref('int_expansion_funnel_facts_collected') }}

),

months as (

    select * from {{ ref('int_months_spined') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

targets as (

    select * from {{ ref('expansion_targets') }}

),

quarters as (

    select
        quarter_start,
        max(month_end) as quarter_end,
        max(measured_at) as measured_at
    from months
    group by quarter_start

),

fact_rows as (

    {{ retention_dimension_rows('facts', [
        'quarter_start', 'fact', 'amount_arr_usd', 'partner_role', 'days', 'is_won_deal',
        'is_qualified_pipeline', 'has_passed_qualification', 'had_validation_step']) }}

),

aggregated as (

    select
        quarter_start,
        dimension,
        dimension_value,
        sum(case when fact = 'pipeline' then 1 else 0 end) as open_opportunities,
        sum(case when fact = 'pipeline' then amount_arr_usd else 0 end) as open_pipeline_arr_usd,
        sum(case when fact = 'pipeline' and is_qualified_pipeline then 1 else 0 end) as qualified_opportunities,
        sum(case when fact = 'pipeline' and is_qualified_pipeline then amount_arr_usd else 0 end)
            as qualified_pipeline_arr_usd,
        sum(case when fact = 'created' then 1 else 0 end) as created_opportunities,
        sum(case when fact = 'created' and has_passed_qualification then 1 else 0 end)
            as qualified_created_opportunities,
        sum(case when fact = 'created' and has_passed_qualification and is_won_deal then 1 else 0 end)
            as won_from_qualified_created,
        sum(case when fact = 'won' then 1 else 0 end) as won_opportunities,
        sum(case when fact = 'lost' then 1 else 0 end) as lost_opportunities,
        sum(case when fact = 'won' then amount_arr_usd else 0 end) as won_arr_usd,
        sum(case when fact = 'won' and partner_role = 'sourced' then amount_arr_usd else 0 end)
            as partner_sourced_won_arr_usd,
        sum(case when fact = 'won' and partner_role = 'influenced' then amount_arr_usd else 0 end)
            as partner_influenced_won_arr_usd,
        sum(case when fact = 'won' then days else 0 end) as won_sales_cycle_days_total,
        sum(case when fact = 'won' and had_validation_step then 1 else 0 end) as validated_won_opportunities,
        sum(case when fact = 'new_business_closed' then 1 else 0 end) as new_business_closed,
        sum(case when fact = 'new_business_closed' and is_won_deal then 1 else 0 end) as new_business_won,
        sum(case when fact = 'first_expansion' then 1 else 0 end) as accounts_first_expansion,
        sum(case when fact = 'first_expansion' then days else 0 end) as days_to_first_expansion_total
    from fact_rows
    group by quarter_start, dimension, dimension_value

),

partner_targets as (

    select
        quarters.quarter_start,
        partners.partner_id,
        partners.partner_tier,
        partners.partner_type,
        targets.target_expansion_arr_usd_per_partner as target_usd,
        row_number() over (
            partition by quarters.quarter_start, partners.partner_id
            order by targets.effective_from desc
        ) as recency
    from quarters
    inner join partners
        on partners.onboarded_date is null or partners.onboarded_date <= quarters.quarter_end
    inner join targets
        on partners.partner_tier = targets.partner_tier
        and targets.effective_from <= quarters.quarter_start

),

target_rows as (

    select
        quarter_start,
        'overall' as dimension,
        'all' as dimension_value,
        sum(target_usd) as target_usd
    from partner_targets
    where recency = 1
    group by quarter_start
    union all
    select
        quarter_start,
        'partner',
        partner_id,
        sum(target_usd)
    from partner_targets
    where recency = 1
    group by quarter_start, partner_id
    union all
    select
        quarter_start,
        'partner_tier',
        partner_tier,
        sum(target_usd)
    from partner_targets
    where recency = 1
    group by quarter_start, partner_tier
    union all
    select
        quarter_start,
        'partner_type',
        partner_type,
        sum(target_usd)
    from partner_targets
    where recency = 1
    group by quarter_start, partner_type

),

joined as (

    select
        aggregated.*,
        quarters.quarter_end,
        quarters.measured_at,
        cast(target_rows.target_usd as decimal(38, 6)) as target_expansion_arr_usd
    from aggregated
    inner join quarters
        on aggregated.quarter_start = quarters.quarter_start
    left join target_rows
        on aggregated.quarter_start = target_rows.quarter_start
        and aggregated.dimension = target_rows.dimension
        and aggregated.dimension_value = target_rows.dimension_value

),

final as (

    select
        'quarter' as period_type,
        quarter_start as period_start,
        quarter_end as period_end,
        measured_at,
        dimension,
        dimension_value,
        cast(open_opportunities as bigint) as open_opportunities,
        open_pipeline_arr_usd,
        cast(qualified_opportunities as bigint) as qualified_opportunities,
        qualified_pipeline_arr_usd,
        target_expansion_arr_usd,
        {{ pp_ratio('qualified_pipeline_arr_usd', 'target_expansion_arr_usd') }} as coverage_ratio,
        cast(created_opportunities as bigint) as created_opportunities,
        cast(qualified_created_opportunities as bigint) as qualified_created_opportunities,
        cast(won_from_qualified_created as bigint) as won_from_qualified_created,
        {{ pp_ratio('won_from_qualified_created', 'qualified_created_opportunities') }} as conversion_rate,
        cast(won_opportunities as bigint) as won_opportunities,
        cast(lost_opportunities as bigint) as lost_opportunities,
        {{ pp_ratio('won_opportunities', 'won_opportunities + lost_opportunities') }} as win_rate,
        won_arr_usd,
        {{ pp_ratio('won_sales_cycle_days_total', 'won_opportunities', 2) }} as avg_sales_cycle_days,
        partner_sourced_won_arr_usd,
        partner_influenced_won_arr_usd,
        cast(new_business_won as bigint) as new_business_won,
        cast(new_business_closed as bigint) as new_business_closed,
        {{ pp_ratio('new_business_won', 'new_business_closed') }} as new_business_win_rate,
        cast(validated_won_opportunities as bigint) as validated_won_opportunities,
        {{ pp_ratio('validated_won_opportunities', 'won_opportunities') }} as validation_share,
        cast(accounts_first_expansion as bigint) as accounts_first_expansion,
        {{ pp_ratio('days_to_first_expansion_total', 'accounts_first_expansion', 2) }}
            as avg_days_to_first_expansion
    from joined

)

select * from final
