{#- The weeks scored in this run (decision 17): the refresh window's target weeks (is_target),
    written to the weekly tables, and the weeks 1 and 4 before them (the previous category and the
    trend: SPEC §5), each with its as-of date D (the Sunday). Every figure of a week is computed from
    facts dated on or before its D only. -#}
with

refresh_window as (

    select * from {{ ref('stg_ops__refresh_window') }}

),

targets as (

    select week_start
    from refresh_window
    where is_target

),

looked_back as (

    select cast({{ dbt.dateadd('day', -7, 'week_start') }} as date) as week_start from targets
    union
    select cast({{ dbt.dateadd('day', -28, 'week_start') }} as date) as week_start from targets

),

weeks as (

    select
        week_start,
        true as is_target
    from targets
    union all
    select
        week_start,
        false as is_target
    from looked_back
    where week_start not in (select targets.week_start from targets)

),

final as (

    select
        week_start,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as as_of_date,
        is_target
    from weeks

)

select * from final
