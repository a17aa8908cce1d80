{#- Joins the scorecard band of `metric` that contains `value` (seed scorecard_bands: lower and
    upper bounds with their inclusiveness; an empty upper bound is open). -#}
{% macro join_scorecard_band(bands, metric, value, alias) -%}
    left join {{ bands }} as {{ alias }}
        on {{ alias }}.metric = '{{ metric }}'
        and (
            {{ value }} > {{ alias }}.lower_bound
            or ({{ alias }}.lower_inclusive and {{ value }} = {{ alias }}.lower_bound)
        )
        and (
            {{ alias }}.upper_bound is null
            or {{ value }} < {{ alias }}.upper_bound
            or ({{ alias }}.upper_inclusive and {{ value }} = {{ alias }}.upper_bound)
        )
{%- endmacro %}

{#- "2 pts" / "1 pt" for the reasons text. -#}
{% macro points_text(points) -%}
    cast({{ points }} as varchar) || case when {{ points }} = 1 then ' pt' else ' pts' end
{%- endmacro %}
