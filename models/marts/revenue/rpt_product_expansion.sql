{#- Product-level expansion (SPEC §4) per product line and period (complete month, quarter, year):
    the installed base at the start (cohort accounts owning the line, constant currency), the
    expansion on the line during the period (line ARR that rose, including lines added: cross-sell)
    and the expansion rate = expansion / installed base. -#}
with

lines as (

    select * from {{ ref('int_account_line_periods_compared') }}

),

measured as (

    select
        period_type,
        period_start,
        product_line,
        account_id,
        start_local > 0 as owned_at_start,
        start_usd,
        end_usd,
        case when end_usd > start_usd then end_usd - start_usd else 0 end as expansion_usd,
        case when end_usd < start_usd then start_usd - end_usd else 0 end as decline_usd
    from lines

),

aggregated as (

    select
        period_type,
        period_start,
        product_line,
        sum(case when owned_at_start then 1 else 0 end) as accounts_with_line_start,
        sum(start_usd) as installed_base_arr_usd,
        sum(expansion_usd) as expansion_arr_usd,
        sum(case when owned_at_start then expansion_usd else 0 end) as upsell_arr_usd,
        sum(case when owned_at_start then 0 else expansion_usd end) as cross_sell_arr_usd,
        sum(decline_usd) as contraction_and_churn_arr_usd,
        sum(case when expansion_usd > 0 then 1 else 0 end) as accounts_expanded,
        sum(case when not owned_at_start and end_usd > 0 then 1 else 0 end) as accounts_adopted,
        sum(end_usd) as ending_arr_usd
    from measured
    group by period_type, period_start, product_line

),

final as (

    select
        period_type,
        period_start,
        product_line,
        cast(accounts_with_line_start as bigint) as accounts_with_line_start,
        installed_base_arr_usd,
        expansion_arr_usd,
        upsell_arr_usd,
        cross_sell_arr_usd,
        contraction_and_churn_arr_usd,
        ending_arr_usd,
        cast(accounts_expanded as bigint) as accounts_expanded,
        cast(accounts_adopted as bigint) as accounts_adopted,
        {{ pp_ratio('expansion_arr_usd', 'installed_base_arr_usd') }} as expansion_rate
    from aggregated

)

select * from final
