{#- The retention dimensions of SPEC §4 as rows: every row of `cte` once per dimension, with
    dimension / dimension_value. `cte` must have partner_id, partner_tier, partner_type, segment
    and region; accounts without a partner get 'direct'. -#}
{% macro retention_dimension_rows(cte, columns) -%}
    {%- set dimensions = [
        ('overall', "'all'"),
        ('partner', "coalesce(partner_id, 'direct')"),
        ('partner_tier', "coalesce(partner_tier, 'direct')"),
        ('partner_type', "coalesce(partner_type, 'direct')"),
        ('segment', "coalesce(segment, 'unknown')"),
        ('region', "coalesce(region, 'unknown')"),
        ('attachment', "case when partner_id is null then 'direct' else 'partner_attached' end"),
    ] -%}
    {%- for name, value in dimensions %}
    select
        '{{ name }}' as dimension,
        {{ value }} as dimension_value,
        {{ columns | join(', ') }}
    from {{ cte }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
