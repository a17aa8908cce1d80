{#- The retention dimensions of SPEC §4 as rows: every row of `cte` once per dimension, with
    dimension / dimension_value. `cte` must have partner_id, partner_tier, partner_type, segment
    and region. Partner ids are opaque text — any string, 'direct' included, is a partner's id —
    so the partner dimension holds partner-attached rows only: direct rows are the attachment =
    'direct' rows (and 'direct' in partner_tier / partner_type, enumerations no partner value can
    collide with). -#}
{% macro retention_dimension_rows(cte, columns) -%}
    {%- set dimensions = [
        ('overall', "'all'", none),
        ('partner', "partner_id", "partner_id is not null"),
        ('partner_tier', "coalesce(partner_tier, 'direct')", none),
        ('partner_type', "coalesce(partner_type, 'direct')", none),
        ('segment', "coalesce(segment, 'unknown')", none),
        ('region', "coalesce(region, 'unknown')", none),
        ('attachment', "case when partner_id is null then 'direct' else 'partner_attached' end", none),
    ] -%}
    {%- for name, value, condition in dimensions %}
    select
        '{{ name }}' as dimension,
        {{ value }} as dimension_value,
        {{ columns | join(', ') }}
    from {{ cte }}
    {%- if condition %}
    where {{ condition }}
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
