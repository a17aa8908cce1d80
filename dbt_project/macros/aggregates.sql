{#- DuckDB's string_agg with an order keeps an ordered aggregate state per group and sorts each
    one: over millions of small groups it was most of the time of the models that list signal
    codes or opportunity ids (int_account_weeks_signals_aligned at 20,000 accounts: 6.1 s, of which
    1.1 s without the order). When the values are ordered by themselves — every listagg in this
    project — they are collected into a list, sorted and joined instead (2.5 s), with the same
    result as string_agg: null values are left out and a group without any value gives null.
    Any other order is string_agg's, as in dbt-duckdb's listagg. Decision 121. -#}
{#- A listagg call taken apart, for the engines' own listagg below and in spark.sql: whether it is
    distinct, the listed value and the order expression (without "order by"). No listagg here has a
    limit: one is refused. -#}
{% macro pp_listagg_parts(measure, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('listagg with a limit is not used in this project') }}
    {%- endif -%}
    {%- set is_distinct = measure.strip().lower().startswith('distinct ') -%}
    {{ return({
        'distinct': is_distinct,
        'value': measure.strip()[9:].strip() if is_distinct else measure.strip(),
        'order': modules.re.sub('^\\s*order\\s+by\\s+', '', order_by_clause or '', flags=modules.re.I).strip(),
    }) }}
{%- endmacro %}

{% macro duckdb__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set parts = pp_listagg_parts(measure, order_by_clause, limit_num) -%}
    {%- if parts.order == parts.value -%}
        array_to_string(
            list_sort(list({{ 'distinct ' if parts.distinct }}{{ parts.value }}) filter (where {{ parts.value }} is not null)),
            {{ delimiter_text }}
        )
    {%- else -%}
        string_agg({{ measure }}, {{ delimiter_text }} {{ order_by_clause or '' }})
    {%- endif -%}
{%- endmacro %}
