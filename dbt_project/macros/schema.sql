{#- Custom schemas are used as-is (staging, intermediate, marts, config), not prefixed with the
    target schema, so BI tools always read `marts.<table>`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{#- on_schema_change of an incremental mart (its contract is enforced, so the model's columns are
    checked against the contract on every run). DuckDB: fail on any difference. PostgreSQL creates
    a contracted table with the contract's types (varchar) while the model's rows arrive as text,
    which dbt's schema comparison reports as a change on every run: there, new contract columns are
    appended and type spellings are left to the contract check (decision 110). -#}
{% macro pp_contract_on_schema_change() -%}
    {{ return(adapter.dispatch('pp_contract_on_schema_change', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_contract_on_schema_change() -%}
    {{ return('append_new_columns') }}
{%- endmacro %}

{% macro duckdb__pp_contract_on_schema_change() -%}
    {{ return('fail') }}
{%- endmacro %}

{#- After a model's table is written: PostgreSQL plans a query on a table it has no statistics for
    (just created, autovacuum not yet run) as if it were tiny, and the next model's joins then run as
    nested loops over it. `analyze` gives it statistics at once. DuckDB keeps its own; nothing there. -#}
{% macro pp_analyze_table() -%}
    {{ return(adapter.dispatch('pp_analyze_table', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_analyze_table() -%}
{%- endmacro %}

{% macro postgres__pp_analyze_table() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
