{#- Typing landed text. Every macro returns null for an empty or unparseable value; the base
    models compare the typed value with the landed text to tell "empty" from "unparseable". -#}

{% macro pp_blank_to_null(expr) -%}
    nullif(trim(cast({{ expr }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{#- Typed value of landed text, or null. Every engine first checks the text's shape against the
    contract (SPEC §2: dates YYYY-MM-DD, timestamps ISO 8601, plain decimal numbers), then casts:
    what an engine's own cast would also accept beyond the contract ('1.5' as an integer, '1e3',
    '2026/01/05', 'nan', 'infinity', a date with a time) is unparseable on every engine alike, so
    the same landed file stages the same rows everywhere (decision 110). -#}
{% macro pp_try_cast(expr, type_name) -%}
    {%- set value = pp_blank_to_null(expr) -%}
    {%- if type_name in ('text', 'id') -%}
        {{ value }}
    {%- elif type_name == 'boolean' -%}
        case lower({{ value }}) when 'true' then true when 'false' then false end
    {%- elif type_name == 'currency' -%}
        case when {{ pp_regex_match(value, '^[A-Za-z]{3}$') }} then upper({{ value }}) end
    {%- else -%}
        {%- set shape = pp_value_shape(type_name) -%}
        {#- ISO 8601 puts no limit on a fraction of a second: microseconds are kept, the rest cut off
            (never rounded, so every engine stages the same value; decision 156) -#}
        {%- set shaped = pp_regex_first_group_kept(value, '([.][0-9]{6})[0-9]+')
            if type_name == 'timestamp' else value -%}
        case when {{ pp_regex_match(value, shape) }} then {{ pp_cast_shaped(shaped, type_name) }} end
    {%- endif -%}
{%- endmacro %}

{#- The contract's shape of a typed value (a regular expression every engine reads the same way:
    no backslashes, no classes beyond brackets). Integers fit a bigint (at most 18 digits); a
    timestamp's time is optional and its offset comes only after a time; fractions of a second of
    any length (kept to microseconds, pp_try_cast); years 0001 to 9999. -#}
{% macro pp_value_shape(type_name) -%}
    {%- set year = '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})' -%}
    {%- set date = year ~ '-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' -%}
    {%- if type_name == 'integer' -%}
        {{ return('^[+-]?[0-9]{1,18}$') }}
    {%- elif type_name.startswith('decimal') -%}
        {{ return('^[+-]?([0-9]{1,30}([.][0-9]{0,30})?|[.][0-9]{1,30})$') }}
    {%- elif type_name == 'double' -%}
        {{ return('^[+-]?([0-9]{1,30}([.][0-9]{0,30})?|[.][0-9]{1,30})([eE][+-]?[0-9]{1,2})?$') }}
    {%- elif type_name == 'date' -%}
        {{ return('^' ~ date ~ '$') }}
    {%- elif type_name == 'timestamp' -%}
        {{ return('^' ~ date ~ '([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?'
                  ~ '(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?$') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("pp_try_cast: no contract shape for type '" ~ type_name ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- true when the whole text matches the (anchored) pattern. -#}
{% macro pp_regex_match(expr, pattern) -%}
    {{ return(adapter.dispatch('pp_regex_match', 'partnerpulse')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__pp_regex_match(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__pp_regex_match(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{#- Spark (Java regular expressions): `$` would also match before a final line break, `\z` only at
    the very end (written `\\z` in a Spark string literal). -#}
{% macro spark__pp_regex_match(expr, pattern) -%}
    {%- set java_pattern = pattern[:-1] ~ '\\\\z' if pattern.endswith('$') else pattern -%}
    ({{ expr }} rlike '{{ java_pattern }}')
{%- endmacro %}

{#- The text with the first match of the pattern replaced by the pattern's first group. -#}
{% macro pp_regex_first_group_kept(expr, pattern) -%}
    {{ return(adapter.dispatch('pp_regex_first_group_kept', 'partnerpulse')(expr, pattern)) }}
{%- endmacro %}

{% macro default__pp_regex_first_group_kept(expr, pattern) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '\1')
{%- endmacro %}

{#- Java's replacement syntax names a group $1. -#}
{% macro spark__pp_regex_first_group_kept(expr, pattern) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '$1')
{%- endmacro %}

{#- Cast text already of the contract's shape; null where the shape is right but the value is not
    (30 February, a decimal too large for its precision). -#}
{% macro pp_cast_shaped(value, type_name) -%}
    {{ return(adapter.dispatch('pp_cast_shaped', 'partnerpulse')(value, type_name)) }}
{%- endmacro %}

{% macro duckdb__pp_cast_shaped(value, type_name) -%}
    {%- if type_name == 'timestamp' -%}
        cast(timezone('UTC', try_cast({{ value }} as timestamptz)) as timestamp)
    {%- elif type_name == 'integer' -%}
        cast({{ value }} as bigint)
    {%- else -%}
        try_cast({{ value }} as {{ type_name }})
    {%- endif -%}
{%- endmacro %}

{#- PostgreSQL has no try_cast before version 16: the shape rules out every error but the day of
    the month and a decimal's precision, checked here before the cast. -#}
{% macro postgres__pp_cast_shaped(value, type_name) -%}
    {%- if type_name == 'integer' -%}
        cast({{ value }} as bigint)
    {%- elif type_name == 'double' -%}
        cast({{ value }} as double precision)
    {%- elif type_name.startswith('decimal') -%}
        {%- set m = modules.re.match('^decimal\(([0-9]+), *([0-9]+)\)$', type_name) -%}
        {%- if not m -%}
            {{ exceptions.raise_compiler_error("pp_try_cast: write decimals as decimal(p, s), got '" ~ type_name ~ "'") }}
        {%- endif -%}
        case
            when abs(round(cast({{ value }} as numeric), {{ m.group(2) }})) < 1e{{ m.group(1) | int - m.group(2) | int }}
                then cast({{ value }} as {{ type_name }})
        end
    {%- elif type_name == 'date' -%}
        {{ postgres__pp_iso_date(value) }}
    {%- elif type_name == 'timestamp' -%}
        case
            when {{ postgres__pp_iso_date('substr(' ~ value ~ ', 1, 10)') }} is null then null
            when {{ value }} ~ '(Z|[+-][0-9:]{2,5})$' and length({{ value }}) > 10
                then cast({{ value }} as timestamptz) at time zone 'UTC'
            else cast({{ value }} as timestamp)
        end
    {%- else -%}
        cast({{ value }} as {{ type_name }})
    {%- endif -%}
{%- endmacro %}

{#- Spark (ANSI mode off, as configured in profiles.yml): a cast that fails is null; a decimal too
    large for its precision is null. Text with an offset is converted to the session's time zone (UTC). -#}
{% macro spark__pp_cast_shaped(value, type_name) -%}
    {%- if type_name == 'integer' -%}
        cast({{ value }} as bigint)
    {%- elif type_name == 'timestamp' -%}
        {#- Spark reads an offset only after the seconds: a time without seconds gets ':00' -#}
        cast(regexp_replace({{ value }}, '^(.{10}[T ][0-9]{2}:[0-9]{2})([^:]|$)', '$1:00$2') as timestamp)
    {%- else -%}
        cast({{ value }} as {{ type_name }})
    {%- endif -%}
{%- endmacro %}

{#- A date from YYYY-MM-DD text whose month and day are in range; null for a day the month lacks
    or year 0. Nested cases: make_date raises on an invalid date, and only a case orders the checks. -#}
{% macro postgres__pp_iso_date(value) -%}
    case when cast(substr({{ value }}, 1, 4) as integer) >= 1 then
        case
            when cast(substr({{ value }}, 9, 2) as integer) <= extract(day from
                make_date(cast(substr({{ value }}, 1, 4) as integer), cast(substr({{ value }}, 6, 2) as integer), 1)
                + interval '1 month' - interval '1 day')
                then make_date(cast(substr({{ value }}, 1, 4) as integer), cast(substr({{ value }}, 6, 2) as integer),
                    cast(substr({{ value }}, 9, 2) as integer))
        end
    end
{%- endmacro %}

{#- Enumerations are case-insensitive and trimmed on input and normalized to the contract's
    spelling; anything else becomes null (and the row is quarantined as unknown_enum). -#}
{% macro pp_normalize_enum(expr, values) -%}
    {#- ASCII only: engines lower-case other letters differently (DuckDB maps the Kelvin sign to k,
        PostgreSQL with the C locale leaves it), and no value of an enumeration needs them -#}
    case when {{ pp_regex_match(pp_blank_to_null(expr), '^[ -~]*$') }} then
        case lower({{ pp_blank_to_null(expr) }})
        {%- for v in values %}
            when '{{ v | lower }}' then '{{ v }}'
        {%- endfor %}
        end
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

{#- PostgreSQL: the same text as DuckDB's json_object (no spaces, keys in the given order). -#}
{% macro postgres__pp_json_object(relation_alias, column_names) -%}
    ('{' ||
    {%- for c in column_names %}
        '"{{ c }}":' || coalesce({{ postgres__pp_json_text(relation_alias ~ '.' ~ adapter.quote(c)) }}, 'null')
        {{- " || ',' ||" if not loop.last }}
    {%- endfor %}
    || '}')
{%- endmacro %}

{#- Spark: to_json of a struct of the (text) columns, nulls kept as null. -#}
{% macro spark__pp_json_object(relation_alias, column_names) -%}
    to_json(named_struct(
    {%- for c in column_names %}
        '{{ c }}', {{ relation_alias }}.{{ adapter.quote(c) }}{{ ',' if not loop.last }}
    {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}

{#- A JSON string of text as DuckDB writes it: to_json's escapes of control characters (\u001f) with
    DuckDB's upper-case hex digits (\u001F). -#}
{% macro postgres__pp_json_text(expr) -%}
    {%- set ns = namespace(sql='cast(to_json(cast(' ~ expr ~ ' as text)) as text)') -%}
    {%- for code in ['000b', '000e', '000f', '001a', '001b', '001c', '001d', '001e', '001f'] -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '\\u" ~ code ~ "', '\\u" ~ code | upper ~ "')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}

{#- Text. Not dbt.type_string(): PostgreSQL spells that `text`, and the contracts' `varchar` would
    then differ from the model's type; Spark has no varchar without a length. -#}
{% macro pp_type_text() -%}
    {{ return(adapter.dispatch('pp_type_text', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__pp_type_text() -%}
    string
{%- endmacro %}

{#- An 8-byte float (DuckDB's float is 4 bytes, PostgreSQL spells it double precision). -#}
{% macro pp_type_double() -%}
    {{ return(adapter.dispatch('pp_type_double', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_type_double() -%}
    double
{%- endmacro %}

{% macro postgres__pp_type_double() -%}
    double precision
{%- endmacro %}
