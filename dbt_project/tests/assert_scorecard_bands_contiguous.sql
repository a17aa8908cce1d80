{#- Each banded scorecard metric has a first band starting at 0 (inclusive), distinct lower edges
    and one band per points value; bands are contiguous by construction (each ends where the next
    one starts). No metric has more bands than the models can score (pp_band_slots). Returns the
    offending bands. -#}
{{ config(meta={'dagster': {'ref': {'name': 'scorecard_bands'}}}) }}

with

bands as (

    select * from {{ ref('scorecard_bands') }}

),

ordered as (

    select
        *,
        row_number() over (partition by metric order by lower_bound, points) as position,
        count(*) over (partition by metric, lower_bound) as bands_at_edge
    from bands

)

select
    metric,
    points,
    lower_bound,
    'the first band must start at 0, inclusive' as problem
from ordered
where position = 1 and (lower_bound <> 0 or not lower_inclusive)
union all
select
    metric,
    points,
    lower_bound,
    'two bands start at the same edge (overlap)'
from ordered
where bands_at_edge > 1
union all
select
    metric,
    points,
    lower_bound,
    'more than {{ pp_band_slots() }} bands for one metric (macros/bands.sql)'
from ordered
where position > {{ pp_band_slots() }}
