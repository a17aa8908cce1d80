{#- Executive view 4 (SPEC §7.4): the partner expansion leaderboard over the last 12 complete
    months — expansion ARR (upsell + cross-sell in the bridge) ranked apart from new-logo ARR, the
    expansion rate on the partner's installed base 12 months ago, the tier's expansion rate, and
    multi-product adoption of the partner's customers now. Top N by expansion (seed executive_targets). -#}
with

movements as (

    select * from {{ ref('fct_arr_movements') }}

),

monthly as (

    select * from {{ ref('fct_arr_monthly') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

targets as (

    select * from {{ ref('executive_targets') }}

),

window_bounds as (

    select
        max(month_start) as last_month,
        cast({{ dbt.dateadd('month', -11, 'max(month_start)') }} as date) as first_month,
        cast({{ dbt.dateadd('month', -12, 'max(month_start)') }} as date) as base_month
    from monthly

),

moved as (

    select
        movements.partner_id,
        sum(case when movements.movement_type in ('upsell', 'cross_sell') then movements.arr_change_usd else 0 end)
            as expansion_arr_usd,
        sum(case when movements.movement_type = 'new_logo' then movements.arr_change_usd else 0 end)
            as new_logo_arr_usd
    from movements
    cross join window_bounds
    where movements.partner_id is not null
        and movements.month_start between window_bounds.first_month and window_bounds.last_month
    group by movements.partner_id

),

installed_base as (

    select
        monthly.partner_id,
        sum(monthly.arr_usd) as installed_base_arr_usd
    from monthly
    cross join window_bounds
    where monthly.month_start = window_bounds.base_month and monthly.partner_id is not null
    group by monthly.partner_id

),

current_customers as (

    select
        monthly.partner_id,
        monthly.account_id,
        count(distinct monthly.product_line) as product_lines
    from monthly
    cross join window_bounds
    where monthly.month_start = window_bounds.last_month and monthly.partner_id is not null
    group by monthly.partner_id, monthly.account_id

),

adoption as (

    select
        partner_id,
        count(*) as customers,
        sum(case when product_lines >= 2 then 1 else 0 end) as multi_product_customers
    from current_customers
    group by partner_id

),

per_partner as (

    select
        partners.partner_id,
        partners.partner_name,
        partners.partner_tier,
        partners.partner_type,
        coalesce(moved.expansion_arr_usd, 0) as expansion_arr_usd,
        coalesce(moved.new_logo_arr_usd, 0) as new_logo_arr_usd,
        coalesce(installed_base.installed_base_arr_usd, 0) as installed_base_arr_usd,
        coalesce(adoption.customers, 0) as customers,
        coalesce(adoption.multi_product_customers, 0) as multi_product_customers
    from partners
    left join moved on partners.partner_id = moved.partner_id
    left join installed_base on partners.partner_id = installed_base.partner_id
    left join adoption on partners.partner_id = adoption.partner_id

),

tiers as (

    select
        partner_tier,
        sum(expansion_arr_usd) as tier_expansion_arr_usd,
        sum(installed_base_arr_usd) as tier_installed_base_arr_usd
    from per_partner
    group by partner_tier

),

ranked as (

    select
        per_partner.*,
        rank() over (order by per_partner.expansion_arr_usd desc) as expansion_rank,
        rank() over (order by per_partner.new_logo_arr_usd desc) as new_logo_rank,
        tiers.tier_expansion_arr_usd,
        tiers.tier_installed_base_arr_usd
    from per_partner
    inner join tiers on per_partner.partner_tier = tiers.partner_tier

),

final as (

    select
        window_bounds.first_month as window_start,
        window_bounds.last_month as window_last_month,
        ranked.partner_id,
        ranked.partner_name,
        ranked.partner_tier,
        ranked.partner_type,
        cast(ranked.expansion_rank as bigint) as expansion_rank,
        ranked.expansion_rank <= targets.leaderboard_size and ranked.expansion_arr_usd > 0 as is_top_expansion_partner,
        cast(ranked.expansion_arr_usd as decimal(38, 6)) as expansion_arr_usd,
        cast(ranked.new_logo_rank as bigint) as new_logo_rank,
        cast(ranked.new_logo_arr_usd as decimal(38, 6)) as new_logo_arr_usd,
        cast(ranked.installed_base_arr_usd as decimal(38, 6)) as installed_base_arr_usd,
        {{ pp_ratio('ranked.expansion_arr_usd', 'ranked.installed_base_arr_usd') }} as expansion_rate,
        {{ pp_ratio('ranked.tier_expansion_arr_usd', 'ranked.tier_installed_base_arr_usd') }} as tier_expansion_rate,
        cast(ranked.customers as bigint) as customers,
        cast(ranked.multi_product_customers as bigint) as multi_product_customers,
        {{ pp_ratio('ranked.multi_product_customers', 'ranked.customers') }} as multi_product_adoption_rate
    from ranked
    cross join window_bounds
    cross join targets

)

select * from final
