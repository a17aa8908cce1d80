{#- The retention dimensions of SPEC §4 as rows: every row of `cte` once per dimension, with
    dimension / dimension_value. `cte` must have partner_id, partner_tier, partner_type, segment
    and region. Partner ids are opaque text — any string, 'direct' included, is a partner's id —
    so the partner dimension holds partner-attached rows only: direct rows are the attachment =
    'direct' rows (and 'direct' in partner_tier / partner_type, enumerations no partner value can
    collide with). Both forms below return the same rows (tests/test_engines.py compares the
    engines' outputs); decision 113 says why there are two. -#}
{% macro retention_dimension_rows(cte, columns) -%}
    {#- (dimension, value expression, condition on the row or none) in the order of SPEC §4 -#}
    {%- set dimensions = [
        ('overall', "'all'", none),
        ('partner', "partner_id", "partner_id is not null"),
        ('partner_tier', "coalesce(partner_tier, 'direct')", none),
        ('partner_type', "coalesce(partner_type, 'direct')", none),
        ('segment', "coalesce(segment, 'unknown')", none),
        ('region', "coalesce(region, 'unknown')", none),
        ('attachment', "case when partner_id is null then 'direct' else 'partner_attached' end", none),
    ] -%}
    {{ return(adapter.dispatch('retention_dimension_rows', 'partnerpulse')(cte, columns, dimensions)) }}
{%- endmacro %}

{#- One scan of `cte` crossed with the seven dimension names: a union of seven selects of `cte`
    made Spark compute `cte` and everything under it seven times (rpt_retention 17.8 s → 5.3 s on
    the engines test's data). -#}
{% macro default__retention_dimension_rows(cte, columns, dimensions) -%}
    select
        pp_dimensions.pp_dimension as dimension,
        case pp_dimensions.pp_dimension
            {%- for name, value, condition in dimensions %}
            when '{{ name }}' then {{ value }}
            {%- endfor %}
        end as dimension_value,
        {{ columns | join(', ') }}
    from {{ cte }}
    cross join (
        {%- for name, value, condition in dimensions %}
        select '{{ name }}' as pp_dimension{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as pp_dimensions
    {%- for name, value, condition in dimensions if condition %}
    {{ 'where' if loop.first else 'and' }} (pp_dimensions.pp_dimension <> '{{ name }}' or {{ condition }})
    {%- endfor %}
{%- endmacro %}

{#- DuckDB: a union of seven selects. DuckDB 2.0.0 stopped a 200,000-account build with a fatal
    internal error ("dict-surviving cache: global dictionary column 5 changed identity after being
    seeded for dictionary caching", which invalidates the database) on the cross-join form, whose
    case expression hands one pipeline string dictionaries of several columns; the union form
    builds every retention model at that scale. -#}
{% macro duckdb__retention_dimension_rows(cte, columns, dimensions) -%}
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
