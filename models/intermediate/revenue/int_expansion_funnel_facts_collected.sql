{#- The facts the expansion funnel (SPEC §4, rpt_expansion_funnel) counts, one row per deal and
    fact, in the quarter the fact belongs to, with the deal's partner (tier, type), segment and
    region. fact is one of
    - pipeline: an Upsell / Cross-sell / License Expansion deal open at the quarter end (D for
      the quarter in progress); is_qualified_pipeline = past the Qualification stage at D, a deal
      closed since counting as qualified;
    - created: an expansion deal created in the quarter; has_passed_qualification = its stage at
      D is past Qualification (conversion = won / qualified created deals);
    - won / lost: an expansion deal closed in the quarter; had_validation_step = a pilot, proof of
      concept or architecture workshop took place before it closed;
    - new_business_closed: a New Business deal closed in the quarter (win rate vs New Business);
    - first_expansion: the account's first won expansion, days = since its first subscription.
    Each flag is null on the facts it does not apply to; is_won_deal is set on every fact. -#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

months as (

    select * from {{ ref('int_months_spined') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

quarters as (

    select
        quarter_start,
        max(measured_at) as measured_at
    from months
    group by quarter_start

),

deals as (

    select
        opportunities.*,
        partners.partner_tier,
        partners.partner_type,
        accounts.segment,
        accounts.region
    from opportunities
    inner join accounts
        on opportunities.account_id = accounts.account_id
    left join partners
        on opportunities.partner_id = partners.partner_id

),

pipeline_facts as (

    select
        quarters.quarter_start,
        'pipeline' as fact,
        deals.*,
        {#- still open at D: its current stage; closed since: it got past qualification #}
        case when deals.close_date is not null then true else deals.stage <> 'Qualification' end
            as is_qualified_pipeline,
        cast(null as integer) as days
    from deals
    inner join quarters
        on deals.created_date <= quarters.measured_at
        and (deals.close_date is null or deals.close_date > quarters.measured_at)
    where deals.is_expansion

),

first_expansions as (

    select
        *,
        row_number() over (partition by account_id order by close_date, opportunity_id) as won_order
    from deals
    where is_expansion and is_won

),

facts as (

    select
        quarter_start,
        fact,
        opportunity_id,
        account_id,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        amount_arr_usd,
        partner_role,
        is_won as is_won_deal,
        days,
        is_qualified_pipeline,
        cast(null as boolean) as has_passed_qualification,
        cast(null as boolean) as had_validation_step
    from pipeline_facts

    union all

    select
        close_quarter,
        case when is_won then 'won' else 'lost' end,
        opportunity_id,
        account_id,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        amount_arr_usd,
        partner_role,
        is_won,
        sales_cycle_days,
        cast(null as boolean),
        cast(null as boolean),
        had_validation_step
    from deals
    where is_expansion and is_closed

    union all

    select
        created_quarter,
        'created',
        opportunity_id,
        account_id,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        amount_arr_usd,
        partner_role,
        is_won,
        cast(null as integer),
        cast(null as boolean),
        has_passed_qualification,
        cast(null as boolean)
    from deals
    where is_expansion

    union all

    select
        close_quarter,
        'new_business_closed',
        opportunity_id,
        account_id,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        amount_arr_usd,
        partner_role,
        is_won,
        sales_cycle_days,
        cast(null as boolean),
        cast(null as boolean),
        cast(null as boolean)
    from deals
    where opportunity_type = 'New Business' and is_closed

    union all

    select
        close_quarter,
        'first_expansion',
        opportunity_id,
        account_id,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        amount_arr_usd,
        partner_role,
        is_won,
        {{ dbt.datediff('first_subscription_start', 'close_date', 'day') }},
        cast(null as boolean),
        cast(null as boolean),
        cast(null as boolean)
    from first_expansions
    where won_order = 1 and first_subscription_start is not null

),

final as (

    select
        quarter_start,
        fact,
        opportunity_id,
        account_id,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        amount_arr_usd,
        partner_role,
        days,
        is_won_deal,
        is_qualified_pipeline,
        has_passed_qualification,
        had_validation_step
    from facts

)

select * from final
