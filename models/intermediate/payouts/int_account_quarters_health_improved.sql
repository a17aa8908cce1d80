{#- Accounts that went from At Risk to Healthy / Maintain or Expansion Ready within a complete
    quarter (SPEC §8, the health improvement reward): At Risk in the quarter's first week (the
    week starting in its first 7 days) and Healthy or better in its last week (the week ending in
    its last 7 days), from the weekly health history as each week was scored
    (int_account_weeks_health_snapshotted), up to the refreshed week. -#}
with

health as (

    select * from {{ ref('int_account_weeks_health_snapshotted') }}
    where week_start <= {{ refresh_week() }}

),

months as (

    select * from {{ ref('int_months_spined') }}
    where is_complete

),

quarters as (

    select
        quarter_start,
        max(month_end) as quarter_end
    from months
    group by quarter_start
    having count(*) = 3

),

quarter_weeks as (

    {#- the quarter's first week starts in its first 7 days; its last week ends in its last 7 -#}
    select
        quarters.quarter_start,
        quarters.quarter_end,
        min(
            case
                when health.week_start <= cast({{ dbt.dateadd('day', 6, 'quarters.quarter_start') }} as date)
                    then health.week_start
            end
        ) as first_week,
        max(
            case
                when health.as_of_date >= cast({{ dbt.dateadd('day', -6, 'quarters.quarter_end') }} as date)
                    then health.week_start
            end
        ) as last_week
    from quarters
    inner join health
        on health.week_start >= quarters.quarter_start
        and health.as_of_date <= quarters.quarter_end
    group by quarters.quarter_start, quarters.quarter_end

),

final as (

    select
        first_scores.account_id,
        quarter_weeks.quarter_start,
        quarter_weeks.quarter_end,
        quarter_weeks.first_week,
        quarter_weeks.last_week,
        first_scores.health_category as first_category,
        last_scores.health_category as last_category
    from quarter_weeks
    inner join health as first_scores
        on first_scores.week_start = quarter_weeks.first_week
        and first_scores.health_category = 'At Risk'
    inner join health as last_scores
        on last_scores.week_start = quarter_weeks.last_week
        and last_scores.account_id = first_scores.account_id
        and last_scores.health_category in ('Healthy / Maintain', 'Expansion Ready')

)

select * from final
