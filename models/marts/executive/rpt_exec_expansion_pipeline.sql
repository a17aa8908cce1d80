{#- Executive view 2 (SPEC §7.4): expansion pipeline health at D — open expansion deals by stage,
    per partner segment (overall, partner tier, partner type), with the qualified pipeline, the
    quarter's target and coverage of the current quarter (rpt_expansion_funnel). -#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

funnel as (

    select * from {{ ref('rpt_expansion_funnel') }}
    where dimension in ('overall', 'partner_tier', 'partner_type')
        and period_start = cast({{ dbt.date_trunc('quarter', refresh_as_of_date()) }} as date)

),

open_deals as (

    select
        opportunities.stage,
        opportunities.amount_arr_usd,
        coalesce(partners.partner_tier, 'direct') as partner_tier,
        coalesce(partners.partner_type, 'direct') as partner_type
    from opportunities
    left join partners
        on opportunities.partner_id = partners.partner_id
    where opportunities.is_expansion and not opportunities.is_closed

),

by_stage as (

    select
        'overall' as dimension,
        'all' as dimension_value,
        stage,
        amount_arr_usd
    from open_deals
    union all
    select
        'partner_tier',
        partner_tier,
        stage,
        amount_arr_usd
    from open_deals
    union all
    select
        'partner_type',
        partner_type,
        stage,
        amount_arr_usd
    from open_deals

),

stage_totals as (

    select
        dimension,
        dimension_value,
        stage,
        count(*) as open_opportunities,
        sum(amount_arr_usd) as open_pipeline_arr_usd
    from by_stage
    group by dimension, dimension_value, stage

),

final as (

    select
        {{ refresh_as_of_date() }} as as_of_date,
        stage_totals.dimension,
        stage_totals.dimension_value,
        stage_totals.stage,
        cast(stage_totals.open_opportunities as bigint) as open_opportunities,
        cast(stage_totals.open_pipeline_arr_usd as decimal(38, 6)) as open_pipeline_arr_usd,
        {{ pp_ratio('stage_totals.open_pipeline_arr_usd',
                    'sum(stage_totals.open_pipeline_arr_usd) over (partition by stage_totals.dimension, stage_totals.dimension_value)') }}
            as share_of_pipeline,
        funnel.qualified_pipeline_arr_usd,
        funnel.target_expansion_arr_usd,
        funnel.coverage_ratio
    from stage_totals
    left join funnel
        on stage_totals.dimension = funnel.dimension
        and stage_totals.dimension_value = funnel.dimension_value

)

select * from final
