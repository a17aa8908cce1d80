{#- Joins the scorecard band of `metric` that `value` falls in. Bands (seed scorecard_bands) are
    given by their lower edge only, so they are contiguous by construction: a value is in the band
    with the highest lower edge it passes (value > lower_bound, or = when lower_inclusive); the
    band ends where the next one starts. -#}
{% macro join_scorecard_band(bands, metric, value, alias) -%}
    left join {{ bands }} as {{ alias }}
        on {{ alias }}.metric = '{{ metric }}'
        and {{ alias }}.lower_bound = (
            select max(passed.lower_bound)
            from {{ bands }} as passed
            where passed.metric = '{{ metric }}'
                and (
                    {{ value }} > passed.lower_bound
                    or (passed.lower_inclusive and {{ value }} = passed.lower_bound)
                )
        )
{%- endmacro %}

{#- "2 pts" / "1 pt" for the reasons text. -#}
{% macro points_text(points) -%}
    cast({{ points }} as varchar) || case when {{ points }} = 1 then ' pt' else ' pts' end
{%- endmacro %}
