{#- Each readiness sub-metric's bands follow each other without a gap or an overlap (a band
    starts where the previous one ends and exactly one of them owns the shared edge), only the
    last one is open-ended, no band is empty, and a metric has no more bands than the models can
    score (pp_band_slots). Returns the offending bands. -#}
{{ config(meta={'dagster': {'ref': {'name': 'readiness_bands'}}}) }}

with

bands as (

    select * from {{ ref('readiness_bands') }}

),

ordered as (

    select
        *,
        row_number() over (partition by metric order by lower_bound, points) as position,
        count(*) over (partition by metric) as bands_of_metric,
        lag(upper_bound) over (partition by metric order by lower_bound, points) as previous_upper,
        lag(upper_inclusive) over (partition by metric order by lower_bound, points) as previous_upper_inclusive
    from bands

),

problems as (

    select
        metric,
        points,
        lower_bound,
        upper_bound,
        'only the last band may be open-ended' as problem
    from ordered
    where (position < bands_of_metric and upper_bound is null)
        or (position = bands_of_metric and upper_bound is not null)
    union all
    select
        metric,
        points,
        lower_bound,
        upper_bound,
        'gap or overlap with the previous band' as problem
    from ordered
    where position > 1
        and (previous_upper is null or previous_upper <> lower_bound or previous_upper_inclusive = lower_inclusive)
    union all
    select
        metric,
        points,
        lower_bound,
        upper_bound,
        'empty band' as problem
    from ordered
    where upper_bound is not null
        and (upper_bound < lower_bound or (upper_bound = lower_bound and not (lower_inclusive and upper_inclusive)))
    union all
    select
        metric,
        points,
        lower_bound,
        upper_bound,
        'first band must include its lower edge' as problem
    from ordered
    where position = 1 and not lower_inclusive
    union all
    select
        metric,
        points,
        lower_bound,
        upper_bound,
        'more than {{ pp_band_slots() }} bands for one metric (macros/bands.sql)' as problem
    from ordered
    where position > {{ pp_band_slots() }}

)

select * from problems
