{{ config(materialized='view') }}

{#- The active departments lookback_days before each scored week's as-of date D (U6 compares them
    with the departments at D; seed signal_thresholds, measure active_departments_change: 90 days),
    per active account: at E = D - lookback_days, per product held on E, its latest usage row in
    E's trailing 7 days (as at D, SPEC §5), the maximum over those products. Null (unknown) when no
    held product has a usage row in that window. A view: it is computed inside
    int_account_weeks_measured's query, like the CTE of int_account_weeks_usage_measured it was. -#}
with

active as (

    select * from {{ ref('int_account_weeks_active') }}

),

usage_rows as (

    select * from {{ ref('stg_usage__usage_daily') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

thresholds as (

    select * from {{ ref('signal_thresholds') }}

),

departments_lookback as (

    {#- U6 compares active departments at D with the same measure lookback_days earlier (SPEC §7.2:
        90 days); one row of the seed at most uses that measure (seed tests) -#}
    select max(lookback_days) as lookback_days
    from thresholds
    where measure = 'active_departments_change'

),

usage_rows_shifted as (

    {#- the value at E = D - lookback_days is, per product, the latest usage row on or before E within
        E's trailing 7 days (as at D, SPEC §5): usage_date + lookback_days falls in D's ISO week (D is
        its Sunday), so each row serves exactly one week, found by an equality join -#}
    select
        usage_rows.account_id,
        usage_rows.product_id,
        usage_rows.usage_date,
        coalesce(usage_rows.active_departments, 0) as active_departments,
        cast(
            {{ dbt.date_trunc('week', dbt.dateadd('day', 'departments_lookback.lookback_days',
                                                  'usage_rows.usage_date')) }}
            as date
        ) as week_start
    from usage_rows
    cross join departments_lookback

),

product_departments_earlier as (

    {#- products held at E (items in effect that day, as held at D), latest row first -#}
    select
        active.week_start,
        active.account_id,
        usage_rows_shifted.product_id,
        usage_rows_shifted.active_departments,
        row_number() over (
            partition by active.week_start, active.account_id, usage_rows_shifted.product_id
            order by usage_rows_shifted.usage_date desc
        ) as recency
    from active
    cross join departments_lookback
    inner join usage_rows_shifted
        on active.account_id = usage_rows_shifted.account_id
        and active.week_start = usage_rows_shifted.week_start
    inner join items
        on usage_rows_shifted.account_id = items.account_id
        and usage_rows_shifted.product_id = items.product_id
        and items.active_from
        <= cast({{ dbt.dateadd('day', '-departments_lookback.lookback_days', 'active.as_of_date') }} as date)
        and items.active_to
        > cast({{ dbt.dateadd('day', '-departments_lookback.lookback_days', 'active.as_of_date') }} as date)

),

departments_earlier as (

    {#- no usage row of a held product in E's trailing 7 days: the earlier value is unknown (no row) -#}
    select
        week_start,
        account_id,
        max(active_departments) as active_departments_earlier
    from product_departments_earlier
    where recency = 1
    group by week_start, account_id

),

final as (

    select
        active.week_start,
        active.account_id,
        cast(departments_earlier.active_departments_earlier as bigint) as active_departments_earlier
    from active
    left join departments_earlier
        on active.week_start = departments_earlier.week_start and active.account_id = departments_earlier.account_id

)

select * from final
