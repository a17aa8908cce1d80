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

available as (

    select
        held.week_start,
        held.account_id,
        count(distinct features.feature_id) as features_available
    from held
    inner join features
        on held.product_id = features.product_id
    group by held.week_start, held.account_id

),

feature_use as (

    select
        feature_usage.account_id,
        feature_usage.week_start,
        feature_usage.feature_id,
        features.feature_tier
    from feature_usage
    inner join features
        on feature_usage.feature_id = features.feature_id
    where feature_usage.events > 0

),

used as (

    {{ trailing_window_aggregate(
        'active', 'feature_use', 'week_start', weeks=4,
        aggregates=[
            ('features_used_28d', 'count(distinct feature_use.feature_id)'),
            ('advanced_features_used_28d',
             "count(distinct case when feature_use.feature_tier = 'advanced' then feature_use.feature_id end)"),
        ]) }}

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
