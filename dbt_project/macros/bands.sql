{#- Scorecard bands (seeds scorecard_bands, readiness_bands) are given by their lower edge only, so
    they are contiguous by construction: a value is in the band with the highest lower edge it passes
    (value > lower_bound, or = when lower_inclusive); the band ends where the next one starts. A null
    value, or one below the first edge, has no band.

    The bands of the metrics a model scores become one row (band_slots) that the model cross-joins
    once; each value's band number is found by comparing it with that row's edges from the highest
    down (band_number_of), then the band's columns are read from the row (band_column). Passing an edge
    is monotone in the edges' order, so the first edge passed from the top is the band. They used to be
    a left join per metric on a range condition (each band with the next one's lower edge, decision 95):
    a join without an equality key, which DuckDB ran as a nested loop over every account-week and band,
    ten times in the readiness score, carrying the whole row through each join (decision 124).

    pp_band_slots(): how many bands a metric may have (printed, not returned, so that sqlfluff's templater
    renders it too: use `pp_band_slots() | int`); the seeds' contiguity tests
    (tests/assert_*_bands_contiguous.sql) fail the build when a seed gives a metric more. -#}
{% macro pp_band_slots() -%}
    8
{%- endmacro %}

{#- `metrics` below: the metrics a model scores, as a list of (metric of the seed, column holding its value).

    band_slots: one row with, for each metric and each of its bands n in the order of their lower edges,
    the columns <metric>__lower_bound_<n>, <metric>__lower_inclusive_<n> (1/0) and <metric>__<column>_<n>
    for each of `columns`. A metric without bands has nulls. With `missing_levels` (a relation like the seed
    readiness_levels: metric, level, points, level_text), also the points and level_text of each metric's
    level 'missing', as <metric>__missing_points and <metric>__missing_level. -#}
{% macro band_slots(relation, metrics, columns, missing_levels=none) -%}
    select *
    from (
        select
            {%- for metric, value in metrics %}
            {%- set outer_last = loop.last %}
            {%- for n in range(1, (pp_band_slots() | int) + 1) %}
            {%- set this_band = "numbered.metric = '" ~ metric ~ "' and numbered.band_number = " ~ n %}
            max(case when {{ this_band }} then numbered.lower_bound end) as {{ metric }}__lower_bound_{{ n }},
            max(case when {{ this_band }} then case when numbered.lower_inclusive then 1 else 0 end end)
                as {{ metric }}__lower_inclusive_{{ n }},
            {%- for column in columns %}
            max(case when {{ this_band }} then numbered.{{ column }} end) as {{ metric }}__{{ column }}_{{ n }}
            {%- if not (outer_last and loop.last and n == pp_band_slots() | int) %},{% endif %}
            {%- endfor %}
            {%- endfor %}
            {%- endfor %}
        from (
            select
                bands.*,
                row_number() over (partition by bands.metric order by bands.lower_bound) as band_number
            from {{ relation }} as bands
        ) as numbered
    ) as slots
    {%- if missing_levels is not none %}
    cross join (
        select
            {%- for metric, value in metrics %}
            {%- set is_missing = "metric = '" ~ metric ~ "' and level = 'missing'" %}
            max(case when {{ is_missing }} then points end) as {{ metric }}__missing_points,
            max(case when {{ is_missing }} then level_text end) as {{ metric }}__missing_level
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ missing_levels }}
    ) as missing_levels
    {%- endif %}
{%- endmacro %}

{#- The number of the band `value` falls in, from a band_slots() row `slots`; null when none. -#}
{% macro band_number_of(slots, metric, value) -%}
    case
        {%- for n in range(pp_band_slots() | int, 0, -1) %}
        {%- set edge = slots ~ '.' ~ metric ~ '__lower_bound_' ~ n %}
        when {{ value }} > {{ edge }}
            or ({{ slots }}.{{ metric }}__lower_inclusive_{{ n }} = 1 and {{ value }} = {{ edge }}) then {{ n }}
        {%- endfor %}
    end
{%- endmacro %}

{#- `relation`'s rows with the band number of each of `metrics` as the column <metric>_band_number;
    `slots` is a band_slots() relation. -#}
{% macro band_numbers(relation, slots, metrics) -%}
    select
        {{ relation }}.*,
        {%- for metric, value in metrics %}
        {{ band_number_of(slots, metric, relation ~ '.' ~ value) }} as {{ metric }}_band_number
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    cross join {{ slots }}
{%- endmacro %}

{#- The `column` of the band of `metric` a row falls in (its column <metric>_band_number, made by
    band_numbers) from the band_slots() row `slots`. With `missing_value` (the column holding the metric's
    value), a null value takes the column of its level 'missing' instead (band_slots' missing_levels:
    <metric>__missing_<column>). -#}
{% macro band_column(metric, column, slots='bands', missing_value=none) -%}
    {%- if missing_value is not none %}coalesce({% endif -%}
    case {{ metric }}_band_number
        {%- for n in range(1, (pp_band_slots() | int) + 1) %}
        when {{ n }} then {{ slots }}.{{ metric }}__{{ column }}_{{ n }}
        {%- endfor %}
    end
    {%- if missing_value is not none -%}
        , case when {{ missing_value }} is null then {{ slots }}.{{ metric }}__missing_{{ column }} end)
    {%- endif %}
{%- endmacro %}

{#- "2 pts" / "1 pt" for the reasons text. -#}
{% macro points_text(points) -%}
    cast({{ points }} as {{ pp_type_text() }}) || case when {{ points }} = 1 then ' pt' else ' pts' end
{%- endmacro %}
