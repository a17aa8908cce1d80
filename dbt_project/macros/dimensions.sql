{#- The retention dimensions of SPEC §4 as rows: every row of `cte` once per dimension, with
    dimension / dimension_value. `cte` must have partner_id, partner_tier, partner_type, segment
    and region. Partner ids are opaque text — any string, 'direct' included, is a partner's id —
    so the partner dimension holds partner-attached rows only: direct rows are the attachment =
    'direct' rows (and 'direct' in partner_tier / partner_type, enumerations no partner value can
    collide with).
    One scan of `cte`, crossed with the seven dimension names (a union of seven selects of `cte`
    made Spark compute `cte` and everything under it seven times, decision 113). -#}
{% macro retention_dimension_rows(cte, columns) -%}
    {%- set dimensions = [
        ('overall', "'all'"),
        ('partner', "partner_id"),
        ('partner_tier', "coalesce(partner_tier, 'direct')"),
        ('partner_type', "coalesce(partner_type, 'direct')"),
        ('segment', "coalesce(segment, 'unknown')"),
        ('region', "coalesce(region, 'unknown')"),
        ('attachment', "case when partner_id is null then 'direct' else 'partner_attached' end"),
    ] -%}
    select
        pp_dimensions.pp_dimension as dimension,
        case pp_dimensions.pp_dimension
            {%- for name, value in dimensions %}
            when '{{ name }}' then {{ value }}
            {%- endfor %}
        end as dimension_value,
        {{ columns | join(', ') }}
    from {{ cte }}
    cross join (
        {%- for name, value in dimensions %}
        select '{{ name }}' as pp_dimension{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as pp_dimensions
    where pp_dimensions.pp_dimension <> 'partner' or partner_id is not null
{%- endmacro %}
