{#- Typing landed text. Every macro returns null for an empty or unparseable value; the base
    models compare the typed value with the landed text to tell "empty" from "unparseable". -#}

{% macro pp_blank_to_null(expr) -%}
    nullif(trim(cast({{ expr }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{% macro pp_try_cast(expr, type_name) -%}
    {{ return(adapter.dispatch('pp_try_cast', 'partnerpulse')(expr, type_name)) }}
{%- endmacro %}

{% macro duckdb__pp_try_cast(expr, type_name) -%}
    {%- set value = pp_blank_to_null(expr) -%}
    {%- if type_name in ('text', 'id') -%}
        {{ value }}
    {%- elif type_name == 'boolean' -%}
        case lower({{ value }}) when 'true' then true when 'false' then false end
    {%- elif type_name == 'timestamp' -%}
        cast(timezone('UTC', try_cast({{ value }} as timestamptz)) as timestamp)
    {%- elif type_name == 'integer' -%}
        try_cast({{ value }} as bigint)
    {%- elif type_name == 'currency' -%}
        case when regexp_full_match({{ value }}, '[A-Za-z]{3}') then upper({{ value }}) end
    {%- else -%}
        try_cast({{ value }} as {{ type_name }})
    {%- endif -%}
{%- endmacro %}

{#- Enumerations are case-insensitive and trimmed on input and normalized to the contract's
    spelling; anything else becomes null (and the row is quarantined as unknown_enum). -#}
{% macro pp_normalize_enum(expr, values) -%}
    case lower({{ pp_blank_to_null(expr) }})
    {%- for v in values %}
        when '{{ v | lower }}' then '{{ v }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- A JSON object (as text) from a list of column names of `relation_alias`. -#}
{% macro pp_json_object(relation_alias, column_names) -%}
    {{ return(adapter.dispatch('pp_json_object', 'partnerpulse')(relation_alias, column_names)) }}
{%- endmacro %}

{% macro duckdb__pp_json_object(relation_alias, column_names) -%}
    cast(json_object(
    {%- for c in column_names %}
        '{{ c }}', {{ relation_alias }}.{{ adapter.quote(c) }}{{ ',' if not loop.last }}
    {%- endfor %}
    ) as {{ dbt.type_string() }})
{%- endmacro %}
