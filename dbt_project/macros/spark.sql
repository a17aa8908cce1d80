{#- Spark only. dbt-spark's session connection formats seed values into its insert statements
    without escaping (a quote in a playbook text breaks the statement) and writes a missing value as
    the text 'None'. Seeds here are written as literals instead: null for a missing value, strings
    with Spark's backslash escapes, numbers as the CSV spells them. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ pp_spark_literal(row[loop.index0]) }} as {{ type }}){{ ',' if not loop.last }}
                {%- endfor -%}){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro pp_spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- else -%}
        '{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#- A contract's column type (as the YAML spells it, DuckDB's and PostgreSQL's names) in the
    engine's own spelling: Spark has no varchar without a length, no `integer` in its type names
    (it reports `int`) and no `double precision`. -#}
{% macro pp_engine_type(data_type) -%}
    {{ return(adapter.dispatch('pp_engine_type', 'partnerpulse')(data_type)) }}
{%- endmacro %}

{% macro default__pp_engine_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__pp_engine_type(data_type) -%}
    {%- set spelled = data_type.strip().lower() | replace(' ', '') -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'integer': 'int', 'doubleprecision': 'double'} -%}
    {{ return(names.get(spelled, spelled)) }}
{%- endmacro %}

{#- Spark: the contract's types read in Spark's spelling when dbt compares them with the model's. -#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name] -%}
        {%- do translated.update({name: {
            'name': column['name'], 'quote': column.get('quote'),
            'data_type': pp_engine_type(column['data_type']) if column['data_type'] is not none else none}}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{% endmacro %}

{#- Spark's incremental strategies, with `replace_weeks` (macros/weeks.sql) added. Parquet tables
    have no delete: a weekly table is partitioned by its week (pp_week_partition), and a run drops
    the partitions of the weeks it writes, then appends its rows, which is the same as deleting
    those weeks' rows and inserting (a week whose rows all disappear is emptied too). -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy not in ['append', 'insert_overwrite', 'replace_weeks'] -%}
        {%- do exceptions.raise_compiler_error(
            "Incremental strategy '" ~ raw_strategy ~ "' is not available on Spark with Parquet tables: "
            ~ "use append, insert_overwrite or replace_weeks") -%}
    {%- endif -%}
    {%- do return(raw_strategy) -%}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'append' -%}
        {{ get_insert_into_sql(source, target) }}
    {%- elif strategy == 'insert_overwrite' -%}
        {{ get_insert_overwrite_sql(source, target, existing) }}
    {%- else -%}
        {{ spark__replace_weeks_sql(source, target, unique_key) }}
    {%- endif -%}
{% endmacro %}

{% macro spark__replace_weeks_sql(source, target, key) %}
    {%- if config.get('partition_by') != key -%}
        {{ exceptions.raise_compiler_error(
            "replace_weeks on Spark: " ~ target ~ " must be partitioned by " ~ key
            ~ " (config partition_by=pp_week_partition('" ~ key ~ "'))") }}
    {%- endif -%}
    {%- if key == 'week_start' -%}
        {%- set weeks_sql -%}select distinct week_start from {{ ref('int_weeks_spined') }} where is_target{%- endset -%}
    {%- else -%}
        {%- set weeks_sql -%}select {{ refresh_week() }}{%- endset -%}
    {%- endif -%}
    {%- set weeks = run_query(weeks_sql).columns[0].values() -%}
    {%- if weeks | length > 0 -%}
        {%- set partitions = [] -%}
        {%- for week in weeks -%}
            {%- do partitions.append("partition (" ~ key ~ " = '" ~ week ~ "')") -%}
        {%- endfor -%}
        {%- do adapter.execute('alter table ' ~ target ~ ' drop if exists ' ~ partitions | join(', '), fetch=False) -%}
    {%- endif -%}
    {%- set columns = get_quoted_csv(adapter.get_columns_in_relation(target) | map(attribute='name')) -%}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{% endmacro %}

{#- The partition column of a weekly table on Spark (replace_weeks); none elsewhere. -#}
{% macro pp_week_partition(key) -%}
    {{ return(adapter.dispatch('pp_week_partition', 'partnerpulse')(key)) }}
{%- endmacro %}

{% macro default__pp_week_partition(key) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__pp_week_partition(key) -%}
    {{ return(key) }}
{%- endmacro %}

{#- The usage staging tables (the largest) add only what a refresh landed, deleting the rows whose
    landing rows are gone (delete+insert by _ingest_seq, and pp_delete_rows_no_longer_landed). Parquet tables
    cannot delete rows: on Spark they are rebuilt whole (decision 111: a delete+insert made of a table
    of the changed rows and a renamed next table ran out of the 2g driver's memory at 20,000 accounts,
    on a join Spark chose to broadcast). -#}
{% macro pp_staging_materialization() -%}
    {{ return(adapter.dispatch('pp_staging_materialization', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_staging_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__pp_staging_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#- Contracts on Spark. Spark derives a decimal expression's precision by its own rules (a sum, a
    case or a difference comes out as decimal(32,4) where DuckDB says decimal(38,4)), so its check
    compares a decimal column's type family, not its precision, and the table takes the contract's
    exact types by a cast of every column — as a PostgreSQL table created from the contract does.
    The values are checked across engines (tests/test_engines.py); DuckDB's exact type check stays
    the guard of the declared types (decision 111). -#}
{% macro spark__format_column(column) -%}
    {%- set data_type = column.dtype | lower -%}
    {%- if data_type.startswith('decimal') -%}
        {%- set data_type = 'decimal' -%}
    {%- endif -%}
    {{ return({'name': column.name, 'data_type': data_type, 'formatted': column.column.lower() ~ ' ' ~ data_type}) }}
{%- endmacro %}

{% macro spark__get_select_subquery(sql) %}
    {%- set columns = [] -%}
    {%- for name in model['columns'] -%}
        {%- set column = model['columns'][name] -%}
        {%- set quoted = adapter.quote(column['name']) if column.get('quote') else column['name'] -%}
        {%- do columns.append('cast(' ~ quoted ~ ' as ' ~ pp_engine_type(column['data_type']) ~ ') as ' ~ quoted) -%}
    {%- endfor -%}
    select {{ columns | join(', ') }}
    from (
        {{ sql }}
    ) as model_subq
{%- endmacro %}

{#- dbt-spark's listagg ignores the order: collect_list's order is whatever the shuffle gives. Here
    the values are collected with their sort key and sorted; null values are left out and a group
    without any value gives null, as string_agg does on the other engines. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set parts = pp_listagg_parts(measure, order_by_clause, limit_num) -%}
    {%- set is_distinct, value, order_expr = parts.distinct, parts.value, parts.order -%}
    {%- if is_distinct -%}
        {%- if order_expr and order_expr != value -%}
            {{ exceptions.raise_compiler_error('listagg(distinct x) on Spark orders by x only, not by ' ~ order_expr) }}
        {%- endif -%}
        case when count(distinct {{ value }}) > 0
            then array_join(array_sort(collect_set({{ value }})), {{ delimiter_text }}) end
    {%- elif order_expr -%}
        case when count({{ value }}) > 0 then array_join(transform(
            array_sort(filter(collect_list(named_struct('k', {{ order_expr }}, 'v', {{ value }})), x -> x.v is not null)),
            x -> x.v), {{ delimiter_text }}) end
    {%- else -%}
        case when count({{ value }}) > 0 then array_join(collect_list({{ value }}), {{ delimiter_text }}) end
    {%- endif -%}
{%- endmacro %}

{#- Spark reads the pipeline's own tables — the landed rows (raw), the refresh window (ops) and the
    payout ledger (ledger), which the Python steps keep in the working DuckDB file — from Parquet
    files the pipeline writes to $PARTNERPULSE_SPARK_EXCHANGE_DIR/<schema>/<table>/ before dbt runs
    (dagster_project/lib/spark_exchange.py). Each declared source becomes an external table over its
    folder, declared again on every run so that a changed column is seen. Other engines: nothing. -#}
{% macro pp_register_sources() -%}
    {{ return(adapter.dispatch('pp_register_sources', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_register_sources() -%}
{%- endmacro %}

{% macro spark__pp_register_sources() -%}
    {%- if execute -%}
        {%- set exchange = env_var('PARTNERPULSE_SPARK_EXCHANGE_DIR', '') | trim -%}
        {%- if not exchange -%}
            {{ exceptions.raise_compiler_error(
                'PARTNERPULSE_SPARK_EXCHANGE_DIR is not set: the folder where the pipeline writes the '
                ~ 'tables Spark reads (raw, ops, ledger) as Parquet') }}
        {%- endif -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if source.schema not in schemas -%}
                {%- do adapter.execute('create schema if not exists ' ~ source.schema, fetch=False) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set name = source.schema ~ '.' ~ source.identifier -%}
            {%- set folder = exchange.rstrip('/') ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- set location = pp_spark_literal(folder) -%}
            {%- do adapter.execute('drop table if exists ' ~ name, fetch=False) -%}
            {%- do adapter.execute('create table ' ~ name ~ ' using parquet location ' ~ location, fetch=False) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Spark: what the pipeline reads back after the build (the marts, the staging views the landing
    checks validate, and the seeds: seeds_state.py then finds them unchanged, and the next refresh
    does not load them again) is written as Parquet to
    $PARTNERPULSE_SPARK_EXCHANGE_DIR/out/<schema>/<table>/,
    the marts with their contract's columns in order (a partitioned table lists its partition column
    last). The pipeline loads them into its working file (lib/spark_exchange.py). -#}
{% macro pp_export_for_pipeline() -%}
    {{ return(adapter.dispatch('pp_export_for_pipeline', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_export_for_pipeline() -%}
{%- endmacro %}

{% macro spark__pp_export_for_pipeline() -%}
    {%- set exchange = env_var('PARTNERPULSE_SPARK_EXCHANGE_DIR', '') | trim -%}
    {%- set checked_view = this.schema == 'staging' and this.identifier.startswith('stg_') -%}
    {%- set read_back = this.schema in ['marts', 'config'] or checked_view -%}
    {%- if exchange and read_back -%}
        {%- set columns = model.columns.keys() | list if this.schema == 'marts' else [] -%}
        {%- set location = exchange.rstrip('/') ~ '/out/' ~ this.schema ~ '/' ~ this.identifier %}
        insert overwrite directory {{ pp_spark_literal(location) }} using parquet
        select {{ columns | join(', ') if columns else '*' }} from {{ this }}
    {%- endif -%}
{%- endmacro %}
