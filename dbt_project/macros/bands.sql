{#- Scorecard bands (seeds scorecard_bands, readiness_bands) are given by their lower edge only, so
    they are contiguous by construction: a value is in the band with the highest lower edge it passes
    (value > lower_bound, or = when lower_inclusive); the band ends where the next one starts.

    band_ranges(relation): the seed's rows with the next band's lower edge (next_lower_bound,
    next_lower_inclusive; null for the top band), so that the join below is a plain range condition.
    It used to be a correlated max() per metric; with ten banded metrics in one query DuckDB spent
    ~4 s planning the decorrelated joins, on any data size (decision 95). -#}
{% macro band_ranges(relation) -%}
    select
        bands.*,
        lead(bands.lower_bound) over (partition by bands.metric order by bands.lower_bound)
            as next_lower_bound,
        lead(bands.lower_inclusive) over (partition by bands.metric order by bands.lower_bound)
            as next_lower_inclusive
    from {{ relation }} as bands
{%- endmacro %}

{#- Joins the band of `metric` that `value` falls in, from a band_ranges() relation: the value passes
    the band's lower edge and does not pass the next band's. -#}
{% macro join_scorecard_band(bands, metric, value, alias) -%}
    left join {{ bands }} as {{ alias }}
        on {{ alias }}.metric = '{{ metric }}'
        and (
            {{ value }} > {{ alias }}.lower_bound
            or ({{ alias }}.lower_inclusive and {{ value }} = {{ alias }}.lower_bound)
        )
        and (
            {{ alias }}.next_lower_bound is null
            or {{ value }} < {{ alias }}.next_lower_bound
            or (not {{ alias }}.next_lower_inclusive and {{ value }} = {{ alias }}.next_lower_bound)
        )
{%- endmacro %}

{#- "2 pts" / "1 pt" for the reasons text. -#}
{% macro points_text(points) -%}
    cast({{ points }} as {{ pp_type_text() }}) || case when {{ points }} = 1 then ' pt' else ' pts' end
{%- endmacro %}
