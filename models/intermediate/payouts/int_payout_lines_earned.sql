{#- Every incentive earned up to D as the plan computes it today (SPEC §8), before clawbacks: the
    partner and tier of record on the earning date (partner_assignments history; tiers from the
    weekly snapshot), the plan version of that tier on that date, the basis in USD (fixed at the
    earning month's rate), the rate and the amount. Clawbacks of these commissions are
    int_payout_clawbacks_computed; int_payout_lines_computed gives every line its id. -#}
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
        or (
            incentive_type = 'nrr_performance_bonus' and nrr >= nrr_threshold
            and starting_arr_usd >= nrr_min_starting_arr_usd
        )
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
                when incentive_type = 'expansion_commission'
                    then new_logo_rate * expansion_factor
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

final as (

    select * from earned_lines
    where earned_on <= {{ refresh_as_of_date() }}

)

select * from final
