{#- Each account of a retention cohort (ARR > 0 at the end of the month before the period) with its
    ARR at the period's start and end in constant currency (the start month's rates), and its
    expansion / contraction / churn (SPEC §4):
        start + expansion - contraction - churn = end, per account, exactly. -#}
with

product_lines as (

    select * from {{ ref('int_account_line_periods_compared') }}

),

accounts as (

    select
        period_type,
        period_start,
        start_month,
        last_month,
        account_id,
        sum(start_usd) as start_usd,
        sum(end_usd) as end_usd,
        sum(case when start_local = 0 then end_usd else 0 end) as new_lines_usd
    from product_lines
    group by period_type, period_start, start_month, last_month, account_id

),

measured as (

    select
        period_type,
        period_start,
        start_month,
        last_month,
        account_id,
        start_usd,
        end_usd,
        case when end_usd > start_usd then end_usd - start_usd else 0 end as expansion_usd,
        {#- expansion split as in the bridge: ARR on lines the account did not have at the start is
            cross-sell (up to the net expansion), the rest upsell #}
        case
            when end_usd > start_usd
                then case when new_lines_usd < end_usd - start_usd then new_lines_usd else end_usd - start_usd end
            else 0
        end as cross_sell_usd,
        case when end_usd > 0 and end_usd < start_usd then start_usd - end_usd else 0 end as contraction_usd,
        case when end_usd = 0 then start_usd else 0 end as churn_usd,
        case when end_usd < start_usd then end_usd else start_usd end as retained_usd,
        end_usd = 0 as is_churned
    from accounts

),

final as (

    select
        period_type,
        period_start,
        start_month,
        last_month,
        account_id,
        start_usd,
        end_usd,
        expansion_usd,
        expansion_usd - cross_sell_usd as upsell_usd,
        cross_sell_usd,
        contraction_usd,
        churn_usd,
        retained_usd,
        is_churned
    from measured

)

select * from final
