{#- Each readiness component's maximum (seed readiness_components) is the sum of its sub-metrics'
    highest points (seeds readiness_bands and readiness_levels), and the maxima add up to 100, so
    the score runs 0-100. Returns the components (or the total) that do not add up. -#}
{{ config(meta={'dagster': {'ref': {'name': 'readiness_components'}}}) }}

with

components as (

    select * from {{ ref('readiness_components') }}

),

bands as (

    select * from {{ ref('readiness_bands') }}

),

levels as (

    select * from {{ ref('readiness_levels') }}

),

metric_points as (

    select
        component,
        metric,
        points
    from bands
    union all
    select
        component,
        metric,
        points
    from levels

),

metric_maxima as (

    select
        component,
        metric,
        max(points) as max_points
    from metric_points
    group by component, metric

),

component_maxima as (

    select
        component,
        sum(max_points) as sub_metric_max_points
    from metric_maxima
    group by component

),

problems as (

    select
        components.component,
        components.max_points,
        component_maxima.sub_metric_max_points
    from components
    left join component_maxima
        on components.component = component_maxima.component
    where component_maxima.sub_metric_max_points is null
        or component_maxima.sub_metric_max_points <> components.max_points
    union all
    select
        'total' as component,
        sum(max_points) as max_points,
        100 as sub_metric_max_points
    from components
    having sum(max_points) <> 100

)

select * from problems
