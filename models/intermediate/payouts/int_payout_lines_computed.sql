{#- Every payout line earned up to D as the plan computes it today (SPEC §8): the partner and tier of
    record on the earning date (partner_assignments history; tiers from the weekly snapshot), the
    plan version of that tier on that date, the basis in USD (fixed at the earning month's rate),
    the rate and the amount; plus clawbacks of commissions whose expansion was lost within the
    clawback window. The ledger (fct_incentive_payouts) decides what is frozen and what adjusts. -#}
with

events as (

    select * from {{ ref('int_payout_events_collected') }}

),

partner_intervals as (

    select * from {{ ref('int_account_partner_intervals') }}

),

tier_intervals as (

    select * from {{ ref('int_partner_tier_intervals') }}

),

plan as (

    select * from {{ ref('incentive_plan') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

products as (

    select * from {{ ref('stg_billing__products') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

months as (

    select * from {{ ref('int_months_spined') }}
    where is_complete

),

payees as (

    {#- the partner of record on the earning date; a deal without one pays the deal's partner;
        the NRR bonus pays the partner itself -#}
    select
        events.*,
        case
            when events.incentive_type = 'nrr_performance_bonus' then events.deal_partner_id
            else coalesce(partner_intervals.partner_id, events.deal_partner_id)
        end as partner_id
    from events
    left join partner_intervals
        on events.account_id = partner_intervals.account_id
        and partner_intervals.valid_from <= events.earned_on
        and partner_intervals.valid_to > events.earned_on

),

planned as (

    select
        payees.*,
        tier_intervals.partner_tier,
        plan.plan_version,
        plan.new_logo_rate,
        plan.expansion_factor,
        plan.influenced_share,
        plan.renewal_bonus_rate,
        plan.renewal_bonus_flat_usd,
        plan.renewal_early_days,
        plan.spiff_second_line_usd,
        plan.spiff_third_line_usd,
        plan.nrr_threshold,
        plan.nrr_min_starting_arr_usd,
        plan.nrr_bonus_rate,
        plan.health_reward_usd,
        plan.clawback_days
    from payees
    inner join tier_intervals
        on payees.partner_id = tier_intervals.partner_id
        and tier_intervals.valid_from <= payees.earned_on
        and tier_intervals.valid_to > payees.earned_on
    inner join plan
        on tier_intervals.partner_tier = plan.partner_tier
        and plan.effective_from <= payees.earned_on
        and plan.effective_to >= payees.earned_on
    where payees.partner_id is not null

),

eligible as (

    select * from planned
    where incentive_type = 'expansion_commission'
        or (incentive_type = 'renewal_bonus' and days_before_end >= renewal_early_days)
        or incentive_type = 'multi_product_spiff'
        or (incentive_type = 'nrr_performance_bonus' and nrr >= nrr_threshold
            and starting_arr_usd >= nrr_min_starting_arr_usd)
        or incentive_type = 'health_improvement_reward'

),

rated as (

    select
        incentive_type,
        source_type,
        source_id,
        account_id,
        earned_on,
        partner_id,
        partner_tier,
        plan_version,
        description,
        clawback_days,
        case
            when incentive_type = 'multi_product_spiff' and product_line_level = 2 then spiff_second_line_usd
            when incentive_type = 'multi_product_spiff' then spiff_third_line_usd
            when incentive_type = 'health_improvement_reward' then health_reward_usd
            else basis_usd
        end as basis_usd,
        cast(
            case
                when incentive_type = 'expansion_commission' then
                    new_logo_rate * expansion_factor
                    * case when partner_role = 'influenced' then influenced_share else 1 end
                when incentive_type = 'renewal_bonus' then renewal_bonus_rate
                when incentive_type = 'nrr_performance_bonus' then nrr_bonus_rate
                else 1
            end
            as decimal(18, 8)
        ) as rate,
        case when incentive_type = 'renewal_bonus' then renewal_bonus_flat_usd else 0 end as flat_usd
    from eligible

),

earned_lines as (

    select
        incentive_type,
        source_type,
        source_id,
        account_id,
        earned_on,
        partner_id,
        partner_tier,
        plan_version,
        description,
        clawback_days,
        cast(basis_usd as decimal(38, 6)) as basis_usd,
        rate,
        cast(round(basis_usd * rate + flat_usd, 6) as decimal(38, 6)) as amount_usd
    from rated

),

commissions as (

    select
        earned_lines.*,
        opportunities.currency,
        opportunities.amount_arr as expansion_local,
        products.product_line
    from earned_lines
    inner join opportunities
        on earned_lines.source_id = opportunities.opportunity_id
    inner join products
        on opportunities.product_id = products.product_id
    where earned_lines.incentive_type = 'expansion_commission'

),

pre_expansion as (

    {#- the line's ARR (contract currency) the day before the close -#}
    select
        commissions.source_id,
        coalesce(sum(items.arr_local), 0) as pre_level_local
    from commissions
    left join items
        on commissions.account_id = items.account_id
        and commissions.product_line = items.product_line
        and commissions.currency = items.currency
        and items.active_from <= cast({{ dbt.dateadd('day', -1, 'commissions.earned_on') }} as date)
        and items.active_to > cast({{ dbt.dateadd('day', -1, 'commissions.earned_on') }} as date)
    group by commissions.source_id

),

line_after_close as (

    {#- the line's month-end ARR after the close, within the clawback window -#}
    select
        commissions.source_id,
        months.month_start,
        months.month_end,
        coalesce(line_months.arr_local, 0) as line_local,
        pre_expansion.pre_level_local
    from commissions
    inner join pre_expansion
        on commissions.source_id = pre_expansion.source_id
    inner join months
        on months.month_end >= commissions.earned_on
        and months.month_end <= cast({{ dbt.dateadd('day', 'commissions.clawback_days', 'commissions.earned_on') }} as date)
    left join line_months
        on commissions.account_id = line_months.account_id
        and commissions.product_line = line_months.product_line
        and commissions.currency = line_months.currency
        and months.month_start = line_months.month_start

),

gained as (

    select source_id, min(month_start) as first_gained_month
    from line_after_close
    where line_local > pre_level_local
    group by source_id

),

lost as (

    {#- after the expansion showed up, the first month-end the line is back at or below its
        pre-expansion level -#}
    select
        line_after_close.source_id,
        min(line_after_close.month_end) as lost_on
    from line_after_close
    inner join gained
        on line_after_close.source_id = gained.source_id
        and line_after_close.month_start > gained.first_gained_month
    where line_after_close.line_local <= line_after_close.pre_level_local
    group by line_after_close.source_id

),

clawbacks as (

    select
        'clawback' as incentive_type,
        'opportunity' as source_type,
        commissions.source_id,
        commissions.account_id,
        lost.lost_on as earned_on,
        commissions.partner_id,
        commissions.partner_tier,
        commissions.plan_version,
        'Expansion of ' || commissions.source_id || ' (won ' || cast(commissions.earned_on as varchar)
            || ') lost by ' || cast(lost.lost_on as varchar) as description,
        commissions.clawback_days,
        -commissions.basis_usd as basis_usd,
        commissions.rate,
        -commissions.amount_usd as amount_usd
    from commissions
    inner join lost
        on commissions.source_id = lost.source_id

),

all_lines as (

    select * from earned_lines
    union all
    select * from clawbacks

),

final as (

    select
        {{ dbt.hash("incentive_type || '|' || source_type || '|' || source_id || '|' || partner_id || '|' || cast(earned_on as varchar)") }}
            as payout_line_id,
        cast({{ dbt.date_trunc('month', 'earned_on') }} as date) as payout_period,
        partner_id,
        partner_tier,
        incentive_type,
        source_type,
        source_id,
        account_id,
        earned_on,
        basis_usd,
        rate,
        amount_usd,
        plan_version,
        description
    from all_lines
    where earned_on <= {{ refresh_as_of_date() }}

)

select * from final
