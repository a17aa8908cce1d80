{#- The payout ledger (SPEC §8) is declared once, in the enforced contract of fct_incentive_payouts
    (models/marts/payouts/_payouts__models.yml):
    - its columns are a payout line's columns, with their types, in order; period_status (marked
      `meta: {payout_line: false}`) is the state of the line's period, not stored with the line;
    - the accepted_values of its incentive_type column are the incentive types, in the order of
      the statement columns (rpt_partner_payout_statement, the finance files).
    The macros below render the SQL that needs them from that declaration when a node runs (dbt's
    graph is empty while it parses the project; nothing is run then). The Python side reads the
    same YAML (dagster_project/defs/payouts/contract.py). -#}

{% macro payout_ledger_node() -%}
    {{ return(graph.nodes['model.' ~ project_name ~ '.fct_incentive_payouts']) }}
{%- endmacro %}

{#- A payout line's columns (dicts with name, data_type, description), in contract order. -#}
{% macro payout_line_columns() -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in payout_ledger_node().columns.values() if column.meta.get('payout_line', true) -%}
            {%- do columns.append(column) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- A payout line's select list, in contract order: each column by name, or `<expression> as
    <name>` where `expressions` gives one; the columns in `omit` are left out. -#}
{% macro payout_line_select(expressions={}, omit=[]) -%}
    {%- set items = [] -%}
    {%- for column in payout_line_columns() if column.name not in omit -%}
        {%- if column.name in expressions -%}
            {%- do items.append(expressions[column.name] ~ ' as ' ~ column.name) -%}
        {%- else -%}
            {%- do items.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ items | join(',\n        ') }}
{%- endmacro %}

{#- The incentive types in statement column order: the accepted_values of
    fct_incentive_payouts.incentive_type. -#}
{% macro incentive_types() -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- set ledger_id = payout_ledger_node().unique_id -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'test' and node.attached_node == ledger_id
            and node.column_name == 'incentive_type'
            and (node.test_metadata or {}).get('name') == 'accepted_values' -%}
            {%- do found.append(node.test_metadata.kwargs['values']) -%}
        {%- endfor -%}
        {%- if found | length != 1 -%}
            {{ exceptions.raise_compiler_error(
                'The incentive types are the accepted_values of fct_incentive_payouts.incentive_type '
                ~ '(models/marts/payouts/_payouts__models.yml): expected one such test, found '
                ~ (found | length)) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(found[0] if found else []) }}
{%- endmacro %}

{#- The payout ledger's control tables. They belong to the warehouse, not to dbt: the
    `partnerpulse close-period` command writes them; dbt only creates them empty on first use
    (on-run-start) and reads them as the `ledger` source. Their columns come from their
    declarations: ledger.payout_periods from its source definition
    (models/staging/ledger/_ledger__sources.yml); ledger.payout_lines_closed is a payout line's
    columns followed by those of its source definition (closed_at). -#}
{#- One statement per hook (Spark runs one statement at a time): the schema, then each table. -#}
{% macro create_ledger_table(table_name) -%}
    {%- if execute -%}
        {%- if table_name == 'payout_periods' -%}
            {%- set columns = ledger_source_columns('payout_periods') -%}
        {%- else -%}
            {%- set columns = payout_line_columns() + ledger_source_columns('payout_lines_closed') -%}
        {%- endif -%}
    create table if not exists ledger.{{ table_name }} (
        {{ column_definitions(columns) }}
    ){{ pp_table_format() }}
    {%- endif -%}
{%- endmacro %}

{#- The storage clause of a table the project creates itself (Spark: Parquet, as the models). -#}
{% macro pp_table_format() -%}
    {{ return(adapter.dispatch('pp_table_format', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_table_format() -%}
{%- endmacro %}

{% macro spark__pp_table_format() -%}
    {{ ' using parquet' }}
{%- endmacro %}

{% macro ledger_source_columns(table_name) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.ledger.' ~ table_name] -%}
    {{ return(node.columns.values() | list) }}
{%- endmacro %}

{#- `name data_type` for each column (each needs a data_type in its YAML). -#}
{% macro column_definitions(columns) -%}
    {%- set definitions = [] -%}
    {%- for column in columns -%}
        {%- if not column.data_type -%}
            {{ exceptions.raise_compiler_error('Column ' ~ column.name ~ ' needs a data_type in its YAML') }}
        {%- endif -%}
        {%- do definitions.append(column.name ~ ' ' ~ pp_engine_type(column.data_type)) -%}
    {%- endfor -%}
    {{ definitions | join(',\n        ') }}
{%- endmacro %}
