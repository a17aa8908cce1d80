{#- Signal alignment (SPEC §7.2, playbook §02) of every scored account and week: the signals per
    category, the number of expansion categories (product_usage, customer_success, business;
    competitive alerts are not expansion signals) with at least one signal, a strong opportunity
    from the seed recommendation_gates' strong_alignment_categories on, and product usage together
    with business signals (inside-out + outside-in) flagged as the strongest combination. -#}
with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

signals as (

    select * from {{ ref('int_account_week_signals_fired') }}

),

gates as (

    select * from {{ ref('recommendation_gates') }}

),

counted as (

    select
        week_start,
        account_id,
        sum(case when signal_category = 'product_usage' then 1 else 0 end) as product_usage_signals,
        sum(case when signal_category = 'customer_success' then 1 else 0 end) as customer_success_signals,
        sum(case when signal_category = 'business' then 1 else 0 end) as business_signals,
        sum(case when signal_category = 'competitive' then 1 else 0 end) as competitive_alerts,
        {{ dbt.listagg('signal_code', "', '", 'order by signal_code') }} as signal_codes,
        {%- set business_code = "case when signal_category = 'business' then signal_code end" %}
        {{ dbt.listagg(business_code, "', '", 'order by ' ~ business_code) }} as business_signal_codes
    from signals
    group by week_start, account_id

),

aligned as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        cast(coalesce(counted.product_usage_signals, 0) as bigint) as product_usage_signals,
        cast(coalesce(counted.customer_success_signals, 0) as bigint) as customer_success_signals,
        cast(coalesce(counted.business_signals, 0) as bigint) as business_signals,
        cast(coalesce(counted.competitive_alerts, 0) as bigint) as competitive_alerts,
        counted.signal_codes,
        counted.business_signal_codes,
        gates.strong_alignment_categories
    from measured
    cross join gates
    left join counted
        on measured.week_start = counted.week_start
        and measured.account_id = counted.account_id

),

final as (

    select
        week_start,
        as_of_date,
        account_id,
        partner_id,
        product_usage_signals,
        customer_success_signals,
        business_signals,
        competitive_alerts,
        signal_codes,
        business_signal_codes,
        cast(
            case when product_usage_signals > 0 then 1 else 0 end
            + case when customer_success_signals > 0 then 1 else 0 end
            + case when business_signals > 0 then 1 else 0 end
            as integer
        ) as alignment_categories,
        case when product_usage_signals > 0 then 1 else 0 end
        + case when customer_success_signals > 0 then 1 else 0 end
        + case when business_signals > 0 then 1 else 0 end
        >= strong_alignment_categories as is_strong_opportunity,
        product_usage_signals > 0 and business_signals > 0 as is_inside_out_outside_in,
        competitive_alerts > 0 as has_competitive_alert
    from aligned

)

select * from final
