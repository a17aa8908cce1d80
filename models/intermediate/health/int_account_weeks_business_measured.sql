{#- Outside-in facts at each scored week's as-of date D (SPEC §6-§7): the latest employee count
    and the latest open job postings, each from the latest snapshot on or before D (at most 400 days
    old) in which it is known (decision 156: a snapshot without an employee count still has its
    postings), employee growth vs the snapshot closest to 365 days earlier, and business events in
    their trailing windows. -#}
{%- set event_windows = [
    ('funding_round', 365), ('revenue_growth_announcement', 365),
    ('merger_acquisition', 180), ('reorganization', 180), ('compliance_mandate', 180),
    ('product_launch', 180), ('it_modernization', 180), ('geographic_expansion', 180),
    ('competitor_evaluation', 90)] %}

with

active as (

    select * from {{ ref('int_account_weeks_active') }}

),

firmographics as (

    select * from {{ ref('stg_crm__firmographics') }}

),

events as (

    select * from {{ ref('stg_crm__business_events') }}

),

snapshots_known as (

    {#- the snapshots with an employee count, each with its neighbours in date order (unique per
        account and date: stg_crm__firmographics' key) -#}
    select
        account_id,
        snapshot_date,
        employee_count,
        lag(snapshot_date) over (partition by account_id order by snapshot_date) as previous_snapshot_date,
        lead(snapshot_date) over (partition by account_id order by snapshot_date) as next_snapshot_date
    from firmographics
    where employee_count is not null

),

postings_known as (

    {#- the snapshots with open job postings, each with the next one in date order -#}
    select
        account_id,
        snapshot_date,
        open_job_postings,
        lead(snapshot_date) over (partition by account_id order by snapshot_date) as next_snapshot_date
    from firmographics
    where open_job_postings is not null

),

latest as (

    {#- the latest snapshot on or before D: the one whose [snapshot, next snapshot) holds D; none
        when it is more than 400 days old (an equality-like join instead of ranking every
        account-week's 400 days of snapshots) -#}
    select
        active.week_start,
        active.account_id,
        snapshots_known.snapshot_date,
        snapshots_known.employee_count
    from active
    inner join snapshots_known
        on active.account_id = snapshots_known.account_id
        and snapshots_known.snapshot_date <= active.as_of_date
        and (snapshots_known.next_snapshot_date is null or snapshots_known.next_snapshot_date > active.as_of_date)
        and snapshots_known.snapshot_date >= cast({{ dbt.dateadd('day', -400, 'active.as_of_date') }} as date)

),

latest_postings as (

    {#- the latest snapshot with open job postings on or before D, the same way -#}
    select
        active.week_start,
        active.account_id,
        postings_known.open_job_postings
    from active
    inner join postings_known
        on active.account_id = postings_known.account_id
        and postings_known.snapshot_date <= active.as_of_date
        and (postings_known.next_snapshot_date is null or postings_known.next_snapshot_date > active.as_of_date)
        and postings_known.snapshot_date >= cast({{ dbt.dateadd('day', -400, 'active.as_of_date') }} as date)

),

year_ago_targets as (

    select
        week_start,
        account_id,
        as_of_date,
        cast({{ dbt.dateadd('day', -365, 'as_of_date') }} as date) as year_ago_date
    from active

),

year_ago_before as (

    {#- the latest snapshot on or before D - 365, if within D's 400 days -#}
    select
        year_ago_targets.week_start,
        year_ago_targets.account_id,
        snapshots_known.snapshot_date,
        snapshots_known.employee_count
    from year_ago_targets
    inner join snapshots_known
        on year_ago_targets.account_id = snapshots_known.account_id
        and snapshots_known.snapshot_date <= year_ago_targets.year_ago_date
        and (
            snapshots_known.next_snapshot_date is null
            or snapshots_known.next_snapshot_date > year_ago_targets.year_ago_date
        )
        and snapshots_known.snapshot_date
        >= cast({{ dbt.dateadd('day', -400, 'year_ago_targets.as_of_date') }} as date)

),

year_ago_after as (

    {#- the earliest snapshot after D - 365, if on or before D -#}
    select
        year_ago_targets.week_start,
        year_ago_targets.account_id,
        snapshots_known.snapshot_date,
        snapshots_known.employee_count
    from year_ago_targets
    inner join snapshots_known
        on year_ago_targets.account_id = snapshots_known.account_id
        and snapshots_known.snapshot_date > year_ago_targets.year_ago_date
        and (
            snapshots_known.previous_snapshot_date is null
            or snapshots_known.previous_snapshot_date <= year_ago_targets.year_ago_date
        )
        and snapshots_known.snapshot_date <= year_ago_targets.as_of_date

),

year_ago_nearest as (

    {#- the snapshot closest to D - 365 among those of D's 400 days (the earlier one on a tie) is the
        nearest one before D - 365 or the nearest one after it -#}
    select
        year_ago_targets.week_start,
        year_ago_targets.account_id,
        year_ago_before.snapshot_date as before_snapshot_date,
        year_ago_before.employee_count as before_employee_count,
        year_ago_after.snapshot_date as after_snapshot_date,
        year_ago_after.employee_count as after_employee_count,
        coalesce(
            year_ago_after.snapshot_date is null
            or {{ dbt.datediff('year_ago_before.snapshot_date', 'year_ago_targets.year_ago_date', 'day') }}
            <= {{ dbt.datediff('year_ago_targets.year_ago_date', 'year_ago_after.snapshot_date', 'day') }},
            false
        ) as is_before_nearer
    from year_ago_targets
    left join year_ago_before
        on year_ago_targets.week_start = year_ago_before.week_start
        and year_ago_targets.account_id = year_ago_before.account_id
    left join year_ago_after
        on year_ago_targets.week_start = year_ago_after.week_start
        and year_ago_targets.account_id = year_ago_after.account_id

),

year_ago as (

    select
        week_start,
        account_id,
        case when is_before_nearer then before_snapshot_date else after_snapshot_date end as snapshot_date,
        case when is_before_nearer then before_employee_count else after_employee_count end as employee_count
    from year_ago_nearest

),

event_flags as (

    {#- business events of the trailing 365 days, counted per type over the type's own window -#}
    {%- set event_counts = [] %}
    {%- for event_type, days in event_windows %}
        {%- do event_counts.append((
            event_type ~ '_' ~ days ~ 'd',
            "sum(case when events.event_type = '" ~ event_type ~ "' and events.event_date >= cast("
                ~ dbt.dateadd('day', 1 - days, 'active.as_of_date') ~ " as date) then 1 else 0 end)")) %}
    {%- endfor %}
    {{ trailing_window_aggregate('active', 'events', 'event_date', days=365, aggregates=event_counts) }}

),

final as (

    select
        active.week_start,
        active.account_id,
        latest.employee_count,
        latest_postings.open_job_postings,
        year_ago.employee_count as employee_count_year_ago,
        {#- growth needs a snapshot from a different day than the latest one #}
        case
            when year_ago.employee_count > 0 and year_ago.snapshot_date < latest.snapshot_date
                then {{ pp_ratio('latest.employee_count - year_ago.employee_count', 'year_ago.employee_count') }}
        end as employee_growth,
        {%- for column, _ in event_counts %}
        coalesce(event_flags.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from active
    left join latest
        on active.week_start = latest.week_start and active.account_id = latest.account_id
    left join latest_postings
        on active.week_start = latest_postings.week_start and active.account_id = latest_postings.account_id
    left join year_ago
        on active.week_start = year_ago.week_start and active.account_id = year_ago.account_id
    left join event_flags
        on active.week_start = event_flags.week_start and active.account_id = event_flags.account_id

)

select * from final
