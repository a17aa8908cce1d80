{#- The incentive plan's versions of a tier never overlap, follow each other without a gap (the
    next starts the day after the previous ends), the last one is open (9999-12-31), and every
    tier starts on the same first day. Returns the problems. -#}
{{ config(meta={'dagster': {'ref': {'name': 'incentive_plan'}}}) }}

with

plan as (

    select * from {{ ref('incentive_plan') }}

),

ordered as (

    select
        *,
        lead(effective_from) over (partition by partner_tier order by effective_from) as next_from,
        min(effective_from) over () as plan_start,
        min(effective_from) over (partition by partner_tier) as tier_start
    from plan

),

tiers as (

    select 'Platinum' as partner_tier
    union all
    select 'Gold'
    union all
    select 'Silver'
    union all
    select 'Registered'

)

select
    partner_tier,
    effective_from,
    'overlaps the next version' as problem
from ordered
where next_from is not null and next_from <= effective_to
union all
select
    partner_tier,
    effective_from,
    'gap before the next version'
from ordered
where next_from is not null and next_from > cast({{ dbt.dateadd('day', 1, 'effective_to') }} as date)
union all
select
    partner_tier,
    effective_from,
    'the last version must be open (9999-12-31)'
from ordered
where next_from is null and effective_to <> cast('9999-12-31' as date)
union all
select
    partner_tier,
    effective_from,
    'the tier starts later than the plan'
from ordered
where tier_start > plan_start
union all
select
    tiers.partner_tier,
    cast(null as date),
    'tier missing from the plan'
from tiers
left join plan on tiers.partner_tier = plan.partner_tier
where plan.partner_tier is null
