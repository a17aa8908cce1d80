{#- Every event that earns a partner incentive up to D (SPEC §8), before partner, tier and plan are
    resolved: won expansions, early renewals, accounts reaching their 2nd / 3rd product line,
    partners' yearly NRR (int_retention_cohorts_aggregated), and accounts moved from At Risk to
    Healthy or better within a quarter (int_account_quarters_health_improved). (Clawbacks depend
    on the commissions and are added in int_payout_lines_computed.) -#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

renewals as (

    select * from {{ ref('int_subscriptions_renewal_resolved') }}

),

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

partner_years as (

    select * from {{ ref('int_retention_cohorts_aggregated') }}
    where period_type = 'year'
        and dimension = 'partner'

),

health_improvements as (

    select * from {{ ref('int_account_quarters_health_improved') }}

),

months as (

    select * from {{ ref('int_months_spined') }}
    where is_complete

),

expansion_deals as (

    select
        'expansion_commission' as incentive_type,
        'opportunity' as source_type,
        opportunity_id as source_id,
        account_id,
        close_date as earned_on,
        partner_id as deal_partner_id,
        partner_role,
        amount_arr_usd as basis_usd,
        cast(null as integer) as days_before_end,
        cast(null as integer) as product_line_level,
        cast(null as decimal(38, 10)) as nrr,
        cast(null as decimal(38, 6)) as starting_arr_usd,
        opportunity_type || ' ' || opportunity_id || ' won ' || cast(close_date as {{ pp_type_text() }}) as description
    from opportunities
    where is_expansion and is_won and partner_id is not null

),

renewal_deals as (

    select
        'renewal_bonus' as incentive_type,
        'opportunity' as source_type,
        opportunities.opportunity_id as source_id,
        opportunities.account_id,
        opportunities.close_date as earned_on,
        opportunities.partner_id as deal_partner_id,
        opportunities.partner_role,
        opportunities.amount_arr_usd as basis_usd,
        {{ dbt.datediff('opportunities.close_date', 'renewals.end_date', 'day') }} as days_before_end,
        cast(null as integer) as product_line_level,
        cast(null as decimal(38, 10)) as nrr,
        cast(null as decimal(38, 6)) as starting_arr_usd,
        'Renewal ' || opportunities.opportunity_id || ' of ' || renewals.subscription_id || ' closed '
        || cast({{ dbt.datediff('opportunities.close_date', 'renewals.end_date', 'day') }} as {{ pp_type_text() }})
        || ' days before its end' as description
    from opportunities
    inner join renewals
        on opportunities.renewal_subscription_id = renewals.subscription_id
    where opportunities.opportunity_type = 'Renewal' and opportunities.is_renewal_of_record

),

partner_nrr as (

    {#- NRR as rpt_retention publishes it -#}
    select
        *,
        cast({{ pp_ratio('ending_arr_usd', 'starting_arr_usd') }} as decimal(38, 10)) as nrr
    from partner_years

),

account_line_counts as (

    select
        month_start,
        account_id,
        count(distinct product_line) as product_lines
    from line_months
    group by month_start, account_id

),

line_count_changes as (

    select
        months.month_start,
        months.month_end,
        current_counts.account_id,
        current_counts.product_lines,
        coalesce(previous_counts.product_lines, 0) as previous_product_lines
    from account_line_counts as current_counts
    inner join months
        on current_counts.month_start = months.month_start
    left join account_line_counts as previous_counts
        on current_counts.account_id = previous_counts.account_id
        and previous_counts.month_start = cast({{ dbt.dateadd('month', -1, 'current_counts.month_start') }} as date)

),

levels as (

    select 2 as product_line_level
    union all
    select 3 as product_line_level

),

first_reached as (

    {#- the first month-end an account has at least N lines; paid only when it got there by
        adding lines as an existing customer (it had 1 to N-1 lines the month before) -#}
    select
        line_count_changes.account_id,
        levels.product_line_level,
        line_count_changes.month_end,
        line_count_changes.product_lines,
        line_count_changes.previous_product_lines,
        row_number() over (
            partition by line_count_changes.account_id, levels.product_line_level
            order by line_count_changes.month_start
        ) as occurrence
    from line_count_changes
    inner join levels
        on line_count_changes.product_lines >= levels.product_line_level

),

multi_product as (

    select
        'multi_product_spiff' as incentive_type,
        'account' as source_type,
        account_id || ':' || cast(product_line_level as {{ pp_type_text() }}) || '_lines' as source_id,
        account_id,
        month_end as earned_on,
        cast(null as {{ pp_type_text() }}) as deal_partner_id,
        cast(null as {{ pp_type_text() }}) as partner_role,
        cast(null as decimal(38, 6)) as basis_usd,
        cast(null as integer) as days_before_end,
        product_line_level,
        cast(null as decimal(38, 10)) as nrr,
        cast(null as decimal(38, 6)) as starting_arr_usd,
        'Account ' || account_id || ' reached ' || cast(product_line_level as {{ pp_type_text() }}) || ' product lines'
            as description
    from first_reached
    where occurrence = 1
        and previous_product_lines between 1 and product_line_level - 1

),

nrr_years as (

    select
        'nrr_performance_bonus' as incentive_type,
        'partner_year' as source_type,
        dimension_value || ':' || cast(period_start as {{ pp_type_text() }}) as source_id,
        cast(null as {{ pp_type_text() }}) as account_id,
        cast({{ dbt.dateadd('year', 1, 'period_start') }} as date) as earned_on,
        dimension_value as deal_partner_id,
        cast(null as {{ pp_type_text() }}) as partner_role,
        expansion_arr_usd as basis_usd,
        cast(null as integer) as days_before_end,
        cast(null as integer) as product_line_level,
        nrr,
        starting_arr_usd,
        'NRR of ' || cast(extract(year from period_start) as {{ pp_type_text() }}) || ': '
        || cast(round(nrr * 100, 2) as {{ pp_type_text() }}) || '% on '
        || cast(round(starting_arr_usd, 2) as {{ pp_type_text() }})
        || ' starting ARR' as description
    from partner_nrr
    where cast({{ dbt.dateadd('year', 1, 'period_start') }} as date) <= {{ refresh_as_of_date() }}

),

health_rewards as (

    select
        'health_improvement_reward' as incentive_type,
        'account_quarter' as source_type,
        account_id || ':' || cast(quarter_start as {{ pp_type_text() }}) as source_id,
        account_id,
        quarter_end as earned_on,
        cast(null as {{ pp_type_text() }}) as deal_partner_id,
        cast(null as {{ pp_type_text() }}) as partner_role,
        cast(null as decimal(38, 6)) as basis_usd,
        cast(null as integer) as days_before_end,
        cast(null as integer) as product_line_level,
        cast(null as decimal(38, 10)) as nrr,
        cast(null as decimal(38, 6)) as starting_arr_usd,
        'Account ' || account_id || ' went from At Risk (week of '
        || cast(first_week as {{ pp_type_text() }}) || ') to ' || last_category
        || ' (week of ' || cast(last_week as {{ pp_type_text() }}) || ')' as description
    from health_improvements

),

final as (

    select * from expansion_deals
    union all
    select * from renewal_deals
    union all
    select * from multi_product
    union all
    select * from nrr_years
    union all
    select * from health_rewards

)

select * from final
