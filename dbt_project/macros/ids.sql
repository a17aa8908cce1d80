{#- Ids (SPEC §2): keys and references (contract columns with `type: id`) are opaque text of at
    most pp_max_id_length() characters without control characters; landing_validation quarantines
    any other as invalid_id. Control characters are Unicode's category Cc: C0 (U+0000-U+001F),
    DEL (U+007F) and C1 (U+0080-U+009F). C1 is included because no identifier needs it and
    terminals act on some of it (U+009B starts an escape sequence, U+0085 is a line break).
    Format characters (zero-width, bidi marks) are not control characters and stay allowed. -#}

{% macro pp_max_id_length() -%}
    {{ return(200) }}
{%- endmacro %}

{#- true when the text holds a control character. -#}
{% macro pp_has_control_character(expr) -%}
    {{ return(adapter.dispatch('pp_has_control_character', 'partnerpulse')(expr)) }}
{%- endmacro %}

{% macro duckdb__pp_has_control_character(expr) -%}
    regexp_matches({{ expr }}, '[\x00-\x1f\x7f-\x9f]')
{%- endmacro %}

{#- PostgreSQL text cannot hold U+0000, so the class starts at U+0001. -#}
{% macro postgres__pp_has_control_character(expr) -%}
    ({{ expr }} ~ '[\x01-\x1f\x7f-\x9f]')
{%- endmacro %}

{#- Spark string literals read backslashes: the regular expression's escapes are doubled. -#}
{% macro spark__pp_has_control_character(expr) -%}
    ({{ expr }} rlike '[\\x00-\\x1f\\x7f-\\x9f]')
{%- endmacro %}

{#- The first control character of the text as 'U+XXXX' (for a reason a person reads). -#}
{% macro pp_first_control_character(expr) -%}
    {{ return(adapter.dispatch('pp_first_control_character', 'partnerpulse')(expr)) }}
{%- endmacro %}

{% macro duckdb__pp_first_control_character(expr) -%}
    printf('U+%04X', unicode(regexp_extract({{ expr }}, '[\x00-\x1f\x7f-\x9f]')))
{%- endmacro %}

{% macro postgres__pp_first_control_character(expr) -%}
    ('U+' || lpad(upper(to_hex(ascii(substring({{ expr }} from '[\x01-\x1f\x7f-\x9f]')))), 4, '0'))
{%- endmacro %}

{% macro spark__pp_first_control_character(expr) -%}
    concat('U+', lpad(upper(hex(ascii(regexp_extract({{ expr }}, '([\\x00-\\x1f\\x7f-\\x9f])', 1)))), 4, '0'))
{%- endmacro %}

{#- The text with every control character replaced by '?' and cut to `max_chars` characters
    (then ending in '...'): safe to show in a reason. -#}
{% macro pp_printable_id(expr, max_chars=40) -%}
    case
        when {{ dbt.length(expr) }} > {{ max_chars }}
            then {{ pp_control_characters_replaced('substring(' ~ expr ~ ', 1, ' ~ max_chars ~ ')') }} || '...'
        else {{ pp_control_characters_replaced(expr) }}
    end
{%- endmacro %}

{% macro pp_control_characters_replaced(expr) -%}
    {{ return(adapter.dispatch('pp_control_characters_replaced', 'partnerpulse')(expr)) }}
{%- endmacro %}

{% macro duckdb__pp_control_characters_replaced(expr) -%}
    regexp_replace({{ expr }}, '[\x00-\x1f\x7f-\x9f]', '?', 'g')
{%- endmacro %}

{% macro postgres__pp_control_characters_replaced(expr) -%}
    regexp_replace({{ expr }}, '[\x01-\x1f\x7f-\x9f]', '?', 'g')
{%- endmacro %}

{% macro spark__pp_control_characters_replaced(expr) -%}
    regexp_replace({{ expr }}, '[\\x00-\\x1f\\x7f-\\x9f]', '?')
{%- endmacro %}

{#- One text that names a tuple of values without ambiguity, for a deterministic id: the values joined
    by '|', each with '~' written '~~' and '|' written '~p' first. Ids may hold '|' (SPEC §2), and a
    plain join would give ('X1|A', 'B') and ('X1', 'A|B') one text, so one id. A value without '~'
    or '|' is written as it is: the ids of such values are what a plain join gave them. -#}
{% macro pp_id_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for e in expressions -%}
        {%- do parts.append("replace(replace(cast(" ~ e ~ " as " ~ dbt.type_string() ~ "), '~', '~~'), '|', '~p')") -%}
    {%- endfor -%}
    {{ parts | join(" || '|' || ") }}
{%- endmacro %}
