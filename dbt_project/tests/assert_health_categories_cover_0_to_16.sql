{#- The health categories cover 0 to 16 points, each point exactly once. Returns the problems. -#}
{{ config(meta={'dagster': {'ref': {'name': 'health_categories'}}}) }}

with

categories as (

    select * from {{ ref('health_categories') }}

),

points as (

    {{ dbt.generate_series(17) }}

),

coverage as (

    select
        cast(points.generated_number as integer) - 1 as health_points,
        count(categories.health_category) as categories_covering
    from points
    left join categories
        on cast(points.generated_number as integer) - 1 between categories.min_points and categories.max_points
    group by cast(points.generated_number as integer) - 1

)

select
    health_points,
    categories_covering
from coverage
where categories_covering <> 1
union all
select
    min_points,
    -1
from categories
where min_points > max_points or min_points < 0 or max_points > 16
