{#- The expansion priorities cover readiness scores 0 to 100, each score exactly once. Returns
    the problems. -#}
{{ config(meta={'dagster': {'ref': {'name': 'readiness_priorities'}}}) }}

with

priorities as (

    select * from {{ ref('readiness_priorities') }}

),

scores as (

    {{ dbt.generate_series(101) }}

),

coverage as (

    select
        cast(scores.generated_number as integer) - 1 as readiness_score,
        count(priorities.expansion_priority) as priorities_covering
    from scores
    left join priorities
        on cast(scores.generated_number as integer) - 1 between priorities.min_score and priorities.max_score
    group by cast(scores.generated_number as integer) - 1

),

problems as (

    select
        readiness_score,
        priorities_covering
    from coverage
    where priorities_covering <> 1
    union all
    select
        min_score,
        -1 as priorities_covering
    from priorities
    where min_score > max_score or min_score < 0 or max_score > 100

)

select * from problems
