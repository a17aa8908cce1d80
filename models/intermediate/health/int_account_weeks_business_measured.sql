{#- Outside-in facts at each scored week's as-of date D (SPEC §6-§7): the latest employee count
    and open job postings (snapshots on or before D, at most 400 days old), employee growth vs the
    snapshot closest to 365 days earlier, and business events in their trailing windows. -#}
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

    select
        active.week_start,
        active.as_of_date,
        active.account_id,
        firmographics.snapshot_date,
        firmographics.employee_count,
        firmographics.open_job_postings,
        row_number() over (
            partition by active.week_start, active.account_id order by firmographics.snapshot_date desc
        ) as recency,
        row_number() over (
            partition by active.week_start, active.account_id
            order by
                abs(
                    {{ dbt.datediff('firmographics.snapshot_date', dbt.dateadd('day', -365, 'active.as_of_date'),
                                    'day') }}
                ),
                firmographics.snapshot_date
        ) as closeness_to_year_ago
    from active
    inner join firmographics
        on active.account_id = firmographics.account_id
        and firmographics.snapshot_date <= active.as_of_date
        and firmographics.snapshot_date >= cast({{ dbt.dateadd('day', -400, 'active.as_of_date') }} as date)
        and firmographics.employee_count is not null

),

latest as (

    select
        week_start,
        account_id,
        snapshot_date,
        employee_count,
        open_job_postings
    from snapshots_known
    where recency = 1

),

year_ago as (

    select
        week_start,
        account_id,
        snapshot_date,
        employee_count
    from snapshots_known
    where closeness_to_year_ago = 1

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
        latest.open_job_postings,
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
    left join year_ago
        on active.week_start = year_ago.week_start and active.account_id = year_ago.account_id
    left join event_flags
        on active.week_start = event_flags.week_start and active.account_id = event_flags.account_id

)

select * from final
