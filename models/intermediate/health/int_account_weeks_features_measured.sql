{#- Feature adoption at each scored week's as-of date D (SPEC §5): over the trailing 28 days (the
    four ISO weeks ending on D), the features used (events > 0), the advanced ones among them, and
    breadth = features used / features of the products the account holds at D. -#}
with

active as (

    select * from {{ ref('int_account_weeks_active') }}

),

held as (

    select * from {{ ref('int_account_product_weeks_held') }}

),

features as (

    select * from {{ ref('stg_usage__features') }}

),

feature_usage as (

    select * from {{ ref('stg_usage__feature_usage_weekly') }}

),

product_features as (

    {#- features per product (feature_id is the features' primary key: each belongs to one product) -#}
    select
        product_id,
        count(*) as features
    from features
    group by product_id

),

held_products as (

    select distinct
        week_start,
        account_id,
        product_id
    from held

),

available as (

    {#- the distinct features of the held products: a sum over distinct products, as no feature
        belongs to two products -#}
    select
        held_products.week_start,
        held_products.account_id,
        sum(product_features.features) as features_available
    from held_products
    inner join product_features
        on held_products.product_id = product_features.product_id
    group by held_products.week_start, held_products.account_id

),

{%- set window_days = 7 * (4 - 1) %}{#- the 28 days: the 4 ISO weeks [W - 21 days, W] #}

feature_use as (

    {#- the weeks each feature was used (events > 0), from 3 weeks before the first scored week on
        (an earlier use ends its coverage before any scored week). One row per account, feature and
        week already: that is the staged table's key (staging keeps the first row of a key), and a
        feature is of one tier, so no distinct (a hash table of every row, the model's largest) -#}
    select
        feature_usage.account_id,
        feature_usage.feature_id,
        feature_usage.week_start,
        case when features.feature_tier = 'advanced' then 1 else 0 end as is_advanced
    from feature_usage
    inner join features
        on feature_usage.feature_id = features.feature_id
    where
        feature_usage.events > 0
        and feature_usage.week_start
        >= (select cast({{ dbt.dateadd('day', -window_days, 'min(active.week_start)') }} as date) from active)

),

feature_use_covered as (

    {#- a use in week u counts at every scored week W with W - 21 days <= u <= W (the four ISO weeks
        ending with W). For each W the feature counts once, through its latest use u <= W, so each
        use covers [u, next use) cut at u + 22 days (exclusive): disjoint intervals, so at most one
        holds W per feature, exactly when the feature was used in W's four weeks -#}
    select
        account_id,
        is_advanced,
        week_start as covered_from,
        cast({{ dbt.dateadd('day', window_days + 1, 'week_start') }} as date) as covered_until,
        lead(week_start) over (partition by account_id, feature_id order by week_start) as next_use
    from feature_use

),

feature_deltas as (

    {#- +1 when a feature's coverage starts, -1 when it ends (dated by day), 0 at the scored weeks -#}
    select
        account_id,
        covered_from as delta_date,
        false as is_scored,
        1 as features_delta,
        is_advanced as advanced_delta
    from feature_use_covered
    union all
    select
        account_id,
        case when next_use < covered_until then next_use else covered_until end as delta_date,
        false as is_scored,
        -1 as features_delta,
        -is_advanced as advanced_delta
    from feature_use_covered
    union all
    select
        account_id,
        week_start as delta_date,
        true as is_scored,
        0 as features_delta,
        0 as advanced_delta
    from active

),

account_week_deltas as (

    {#- one row per account and date: the deltas netted, scored or not -#}
    select
        account_id,
        delta_date,
        max(case when is_scored then 1 else 0 end) as is_scored,
        sum(features_delta) as features_delta,
        sum(advanced_delta) as advanced_delta
    from feature_deltas
    group by account_id, delta_date

),

running_counts as (

    {#- the features covered at W: the running sum of the deltas dated on or before W (a window frame
        instead of joining every account-week to the facts of its 4 weeks and counting distinct) -#}
    select
        account_id,
        delta_date,
        is_scored,
        sum(features_delta) over (
            partition by account_id order by delta_date rows between unbounded preceding and current row
        ) as features_used_28d,
        sum(advanced_delta) over (
            partition by account_id order by delta_date rows between unbounded preceding and current row
        ) as advanced_features_used_28d
    from account_week_deltas

),

used as (

    select
        account_id,
        delta_date as week_start,
        features_used_28d,
        advanced_features_used_28d
    from running_counts
    where is_scored = 1

),

final as (

    select
        active.week_start,
        active.account_id,
        cast(coalesce(used.features_used_28d, 0) as bigint) as features_used_28d,
        cast(coalesce(used.advanced_features_used_28d, 0) as bigint) as advanced_features_used_28d,
        cast(coalesce(available.features_available, 0) as bigint) as features_available,
        case
            when coalesce(available.features_available, 0) = 0 then cast(0 as decimal(38, 10))
            else {{ pp_ratio('coalesce(used.features_used_28d, 0)', 'available.features_available') }}
        end as feature_breadth
    from active
    left join used
        on active.week_start = used.week_start and active.account_id = used.account_id
    left join available
        on active.week_start = available.week_start and active.account_id = available.account_id

)

select * from final
