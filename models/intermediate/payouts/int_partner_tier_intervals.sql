{#- Each partner's tier as intervals [valid_from, valid_to): one per snapshotted week; the first
    week also covers everything before it and the last week everything after it. -#}
with

snapshots as (

    select * from {{ ref('int_partner_tiers_snapshotted') }}

),

bounded as (

    select
        partner_id,
        partner_tier,
        week_start,
        row_number() over (partition by partner_id order by week_start) as position,
        row_number() over (partition by partner_id order by week_start desc) as reverse_position
    from snapshots

),

final as (

    select
        partner_id,
        partner_tier,
        case when position = 1 then cast('1900-01-01' as date) else week_start end as valid_from,
        case
            when reverse_position = 1 then cast('9999-12-31' as date)
            else cast({{ dbt.dateadd('day', 7, 'week_start') }} as date)
        end as valid_to
    from bounded

)

select * from final
