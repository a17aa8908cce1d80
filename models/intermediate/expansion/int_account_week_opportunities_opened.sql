{#- The expansion opportunities (Upsell, Cross-sell, License Expansion) open at each scored week's
    as-of date D (SPEC §7.3): created on or before D and not closed by D (a deal that closed after
    D was open at D). With the product line of the deal's product (none when the deal names no
    product), whether a validation activity (pilot, proof_of_concept, architecture_workshop) of
    the account took place between its creation and D, and whether it sits at Proposal or later
    without one. Stages have no history: the recorded stage is the stage at D. -#}
with

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

products as (

    select * from {{ ref('stg_billing__products') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

open_at_week as (

    select
        weeks.week_start,
        weeks.as_of_date,
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.opportunity_type,
        opportunities.product_id,
        opportunities.stage,
        opportunities.created_date,
        opportunities.close_date
    from weeks
    inner join opportunities
        on opportunities.created_date <= weeks.as_of_date
        and (
            opportunities.stage not in ('Closed Won', 'Closed Lost')
            or opportunities.close_date > weeks.as_of_date
        )
    where opportunities.opportunity_type in ('Upsell', 'Cross-sell', 'License Expansion')

),

validations as (

    select
        open_at_week.week_start,
        open_at_week.opportunity_id,
        count(*) as validation_activities
    from open_at_week
    inner join activities
        on open_at_week.account_id = activities.account_id
        and activities.activity_type in ('pilot', 'proof_of_concept', 'architecture_workshop')
        and activities.activity_date >= open_at_week.created_date
        and activities.activity_date <= open_at_week.as_of_date
    group by open_at_week.week_start, open_at_week.opportunity_id

),

final as (

    select
        open_at_week.week_start,
        open_at_week.as_of_date,
        open_at_week.account_id,
        open_at_week.opportunity_id,
        open_at_week.opportunity_type,
        open_at_week.product_id,
        products.product_line,
        open_at_week.stage,
        open_at_week.created_date,
        cast(coalesce(validations.validation_activities, 0) as bigint) as validation_activities,
        open_at_week.stage in ('Proposal', 'Negotiation') as is_proposal_or_later,
        open_at_week.stage in ('Proposal', 'Negotiation') and validations.opportunity_id is null
            as is_validation_step_missing
    from open_at_week
    left join products
        on open_at_week.product_id = products.product_id
    left join validations
        on open_at_week.week_start = validations.week_start
        and open_at_week.opportunity_id = validations.opportunity_id

)

select * from final
