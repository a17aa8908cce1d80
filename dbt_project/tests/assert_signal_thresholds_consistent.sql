{#- Every condition row of a signal (seed signal_thresholds) names the same category and combine
    rule, and the category matches the code (U = product_usage, C = customer_success,
    B = business, CA = competitive). Returns the inconsistent signals. -#}
{{ config(meta={'dagster': {'ref': {'name': 'signal_thresholds'}}}) }}

with

thresholds as (

    select * from {{ ref('signal_thresholds') }}

),

per_signal as (

    select
        signal_code,
        count(distinct signal_category) as categories,
        count(distinct combine) as combine_rules,
        min(signal_category) as signal_category
    from thresholds
    group by signal_code

),

problems as (

    select
        signal_code,
        categories,
        combine_rules,
        signal_category
    from per_signal
    where categories <> 1
        or combine_rules <> 1
        or not (
            (signal_code like 'CA%' and signal_category = 'competitive')
            or (signal_code like 'C%' and signal_code not like 'CA%' and signal_category = 'customer_success')
            or (signal_code like 'U%' and signal_category = 'product_usage')
            or (signal_code like 'B%' and signal_category = 'business')
        )

)

select * from problems
