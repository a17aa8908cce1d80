{#-
  landing_validation: types one landing table and labels every row with the first reason it must
  be quarantined (null = the row is staged). The column types, enumerations, ranges and keys come
  from the table's source definition (models/staging/<source>/_<source>__sources.yml, column meta).

  Checks, in this order (the first that fails is the reason):
    missing_key             a primary-key column is empty
    invalid_id              an id column (type: id: keys and references) longer than 200 characters
                            or holding a control character (macros/ids.sql); checked before
                            anything else reads the id, so a bad id is never staged or referenced
    unparseable_value       a date, timestamp, number or boolean that does not parse
    unknown_enum            a value outside the column's enumeration (case-insensitive)
    missing_required_value  a non-nullable column is empty
    negative_amount / out_of_range   below min / above max (min_code chooses the code)
    row_checks              table rules passed by the model, e.g. end_before_start
    orphan_foreign_key      a reference to a row that is not staged
    duplicate_key           a later row with the key of an earlier staged row (first row wins)

  Incremental (incremental=true, for the large append-only usage tables; the model is configured as
  incremental, delete+insert on _ingest_seq, with a post-hook that deletes the rows no longer landed):
  each row keeps _landed_hash, a hash of its file, row number and values as landed. An incremental
  build types and checks only the rows whose label can change: every landed row whose (_ingest_seq,
  _landed_hash) the previous build did not have — new rows, and rows a reload numbered anew or
  changed (a reload renumbers: a late file or a corrected one shifts or reuses numbers) — and every row
  of a primary key that a change can reach: the keys of those rows, of previous rows no longer landed
  as they were, of rows quarantined as orphan or duplicate (their parent may have arrived, their key's
  first row may have gone) and of staged rows whose parent is gone. Every other row keeps its label:
  its own checks read only the row, its parents are all still there and no row of its key changed.
  So the result equals a full build row for row (tests/test_incremental_staging.py). A changed
  project rebuilds the table: the model's meta sets rebuild_on_project_change, and a refresh that reloads
  the seeds sets PARTNERPULSE_REBUILD_STAGING=1, which dbt reads when the model runs (macros/
  staging_rebuild.sql; decisions 103 and 128); by hand, `dbt build --full-refresh` too.

  Arguments:
    incremental        see above; not with self_foreign_keys
    foreign_keys       [{'column': ..., 'to': ref(...), 'to_column': ...}]
    self_foreign_keys  [{'column': ..., 'to_column': ...}] references into this same table
    row_checks         [{'code': ..., 'when': <sql over typed columns>, 'reason': <sql text expr>}]
-#}
{% macro landing_validation(
    source_name, table_name, foreign_keys=[], self_foreign_keys=[], row_checks=[], incremental=false
) %}
{%- set relation = source(source_name, table_name) -%}
{%- if not execute -%}
select 1 as _not_compiled
{%- else -%}
{%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
{%- set table_meta = node.meta if node.meta else node.config.meta -%}
{%- set pk = table_meta['primary_key'] -%}
{%- set columns = node.columns.values() | list -%}
{%- set parsed_types = ['date', 'timestamp', 'integer', 'double', 'boolean'] -%}
{%- set names = [] -%}
{%- for c in columns %}{% do names.append(c.name) %}{% endfor -%}
{#- what a landed row is: its place and its values as landed (an incremental build compares them) -#}
{%- set hashed = ['landed._source_file', 'landed._source_row'] -%}
{%- for n in names %}{% do hashed.append('landed.' ~ n) %}{% endfor -%}

{%- if incremental and self_foreign_keys %}
{{ exceptions.raise_compiler_error('landing_validation: incremental is not supported with self_foreign_keys') }}
{%- endif %}
{%- set incremental_run = incremental and is_incremental() %}
{%- set by_window = pp_duplicates_by_window() %}

with
{%- for fk in foreign_keys %}

parent_{{ loop.index }} as (

    select distinct {{ fk['to_column'] }} as key_value from {{ fk['to'] }}

),
{%- endfor %}
{%- if incremental_run %}
{#- Every landed row and every staged row is compared by (_ingest_seq, _landed_hash) only: two narrow
    scans, one hash join. The wide rows are read again only for the few rows that changed or are
    re-checked; the staged table is read where needed rather than through one CTE, which the engine
    would materialize with every column (at 200,000 accounts that spilled tens of GB). -#}

key_changes as (

    {#- one row per landed row the previous build did not have (landed_seq) and per staged row no
        longer landed as it was (previous_seq); a reload that changed a row gives both -#}
    select
        landed_keys._ingest_seq as landed_seq,
        previous_keys._ingest_seq as previous_seq
    from (
        select
            landed._ingest_seq,
            {{ pp_row_hash(hashed) }} as _landed_hash
        from {{ relation }} as landed
    ) as landed_keys
    full outer join (
        select
            _ingest_seq,
            _landed_hash
        from {{ this }}
    ) as previous_keys
        on
            landed_keys._ingest_seq = previous_keys._ingest_seq
            and landed_keys._landed_hash = previous_keys._landed_hash
    where landed_keys._ingest_seq is null or previous_keys._ingest_seq is null

),

new_rows as (

    select landed.*
    from {{ relation }} as landed
    inner join key_changes
        on landed._ingest_seq = key_changes.landed_seq

),

touched_keys as (

    select
        {%- for c in columns if c.name in pk %}
        {{ landing_typed_column(c, 'new_rows') }} as {{ c.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from new_rows
    union
    select {% for k in pk %}previous.{{ k }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ this }} as previous
    inner join key_changes
        on previous._ingest_seq = key_changes.previous_seq
    union
    select {{ pk | join(', ') }} from {{ this }}
    where _reject_code in ('orphan_foreign_key', 'duplicate_key')
    {%- for fk in foreign_keys %}
    union
    select {% for k in pk %}previous.{{ k }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ this }} as previous
    left join parent_{{ loop.index }}
        on previous.{{ fk['column'] }} = parent_{{ loop.index }}.key_value
    where
        previous._reject_code is null
        and previous.{{ fk['column'] }} is not null
        and parent_{{ loop.index }}.key_value is null
    {%- endfor %}

),

rechecked_rows as (

    select landed_seq as _ingest_seq from key_changes
    where landed_seq is not null
    union
    select previous._ingest_seq
    from {{ this }} as previous
    inner join touched_keys
        on {% for k in pk %}previous.{{ k }} = touched_keys.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}

),
{%- endif %}

source as (

    {#- the landed rows to label (an incremental build: only those re-checked); an incremental table
        keeps each row's hash as landed #}
    select
        landed.*
        {%- if incremental %},
        {{ pp_row_hash(hashed) }} as _landed_hash
        {%- endif %}
    from {{ relation }} as landed
    {%- if incremental_run %}
    inner join rechecked_rows
        on landed._ingest_seq = rechecked_rows._ingest_seq
    {%- endif %}

),

typed as (

    select
        landed._ingest_seq,
        landed._source_file,
        landed._source_row,
        {%- if incremental %}
        landed._landed_hash,
        {%- endif %}
        {%- for k in pk %}
        coalesce(trim(landed.{{ k }}), '') {%- if not loop.last %} || '|' ||{% endif %}
        {%- endfor %} as _record_key,
        {%- for c in columns %}
        landed.{{ c.name }} as _landed_{{ c.name }},
        {{ landing_typed_column(c, 'landed') }} as {{ c.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from source as landed

),

parse_checked as (

    select
        *,
        {%- for part in ['code', 'reason'] %}
        case
            {%- for k in pk %}
            when {{ pp_blank_to_null('_landed_' ~ k) }} is null
                then {% if part == 'code' %}'missing_key'{% else %}'missing key: {{ k }} is empty'{% endif %}
            {%- endfor %}
            {%- for c in columns if c.meta.get('type') == 'id' %}
            when {{ dbt.length(c.name) }} > {{ pp_max_id_length() }}
                then {% if part == 'code' %}'invalid_id'{% else %}'invalid id: {{ c.name }} is ' || cast({{ dbt.length(c.name) }} as {{ dbt.type_string() }}) || ' characters long, more than {{ pp_max_id_length() }} (' || chr(39) || {{ pp_printable_id(c.name) }} || chr(39) || ')'{% endif %}
            when {{ pp_has_control_character(c.name) }}
                then {% if part == 'code' %}'invalid_id'{% else %}'invalid id: {{ c.name }}=' || chr(39) || {{ pp_printable_id(c.name) }} || chr(39) || ' contains control character ' || {{ pp_first_control_character(c.name) }} || ' (shown as ?)'{% endif %}
            {%- endfor %}
            {%- for c in columns %}
            {%- set t = c.meta.get('type', 'text') %}
            {%- if t in parsed_types or t.startswith('decimal') %}
            when {{ pp_blank_to_null('_landed_' ~ c.name) }} is not null and {{ c.name }} is null
                then {% if part == 'code' %}'unparseable_value'{% else %}'unparseable value: {{ c.name }}=' || chr(39) || {{ pp_blank_to_null('_landed_' ~ c.name) }} || chr(39) || ' is not a valid {{ t }}'{% endif %}
            {%- elif c.meta.get('enum') or t == 'currency' %}
            when {{ pp_blank_to_null('_landed_' ~ c.name) }} is not null and {{ c.name }} is null
                then {% if part == 'code' %}'unknown_enum'{% else %}'unknown value: {{ c.name }}=' || chr(39) || {{ pp_blank_to_null('_landed_' ~ c.name) }} || chr(39) || ' (expected {{ ('one of ' ~ (c.meta['enum'] | join(', '))) if c.meta.get('enum') else 'a three-letter ISO 4217 code' }})'{% endif %}
            {%- endif %}
            {%- endfor %}
            {%- for c in columns if not c.meta.get('nullable', false) and c.name not in pk %}
            when {{ c.name }} is null
                then {% if part == 'code' %}'missing_required_value'{% else %}'missing required value: {{ c.name }} is empty'{% endif %}
            {%- endfor %}
            {%- for c in columns %}
            {%- if c.meta.get('min') is not none %}
            when {{ c.name }} < {{ c.meta['min'] }}
                then {% if part == 'code' %}'{{ c.meta.get('min_code', 'out_of_range') }}'{% else %}'{{ 'negative amount' if c.meta.get('min_code') == 'negative_amount' else 'out of range' }}: {{ c.name }}=' || cast({{ c.name }} as {{ dbt.type_string() }}) || ' (must be at least {{ c.meta['min'] }})'{% endif %}
            {%- endif %}
            {%- if c.meta.get('min_exclusive') is not none %}
            when {{ c.name }} <= {{ c.meta['min_exclusive'] }}
                then {% if part == 'code' %}'out_of_range'{% else %}'out of range: {{ c.name }}=' || cast({{ c.name }} as {{ dbt.type_string() }}) || ' (must be above {{ c.meta['min_exclusive'] }})'{% endif %}
            {%- endif %}
            {%- if c.meta.get('max') is not none %}
            when {{ c.name }} > {{ c.meta['max'] }}
                then {% if part == 'code' %}'out_of_range'{% else %}'out of range: {{ c.name }}=' || cast({{ c.name }} as {{ dbt.type_string() }}) || ' (must be at most {{ c.meta['max'] }})'{% endif %}
            {%- endif %}
            {%- endfor %}
        end as _parse_{{ part }}{{ ',' if not loop.last }}
        {%- endfor %}
    from typed

),

row_checked as (

    select
        _ingest_seq,
        _source_file,
        _source_row,
        {%- if incremental %}
        _landed_hash,
        {%- endif %}
        _record_key,
        {%- for c in columns %}
        {{ c.name }},
        {%- endfor %}
        {%- for part in ['code', 'reason'] %}
        {%- if row_checks %}
        coalesce(
            _parse_{{ part }},
            case
                {%- for check in row_checks %}
                when {{ check['when'] }} then {% if part == 'code' %}'{{ check['code'] }}'{% else %}{{ check['reason'] }}{% endif %}
                {%- endfor %}
            end
        ) as _check_{{ part }}{{ ',' if not loop.last }}
        {%- else %}
        _parse_{{ part }} as _check_{{ part }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from parse_checked

),
{%- for fk in self_foreign_keys %}

self_parent_{{ loop.index }} as (

    select distinct {{ fk['to_column'] }} as key_value from row_checked where _check_code is null

),
{%- endfor %}

reference_checked as (

    select
        checked.*,
        {%- for part in ['code', 'reason'] %}
        {%- if foreign_keys or self_foreign_keys %}
        coalesce(
            checked._check_{{ part }},
            case
                {%- for fk in foreign_keys %}
                when checked.{{ fk['column'] }} is not null and parent_{{ loop.index }}.key_value is null
                    then {% if part == 'code' %}'orphan_foreign_key'{% else %}'orphan foreign key: {{ fk['column'] }}=' || chr(39) || checked.{{ fk['column'] }} || chr(39) || ' not found in {{ fk['to'].identifier }}'{% endif %}
                {%- endfor %}
                {%- for fk in self_foreign_keys %}
                when checked.{{ fk['column'] }} is not null and self_parent_{{ loop.index }}.key_value is null
                    then {% if part == 'code' %}'orphan_foreign_key'{% else %}'orphan foreign key: {{ fk['column'] }}=' || chr(39) || checked.{{ fk['column'] }} || chr(39) || ' not found in {{ table_name }}'{% endif %}
                {%- endfor %}
            end
        ) as _reference_{{ part }}{{ ',' if not loop.last }}
        {%- else %}
        checked._check_{{ part }} as _reference_{{ part }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from row_checked as checked
    {%- for fk in foreign_keys %}
    left join parent_{{ loop.index }}
        on checked.{{ fk['column'] }} = parent_{{ loop.index }}.key_value
    {%- endfor %}
    {%- for fk in self_foreign_keys %}
    left join self_parent_{{ loop.index }}
        on checked.{{ fk['column'] }} = self_parent_{{ loop.index }}.key_value
    {%- endfor %}

),

{%- if by_window %}

{#- a key's first staged row by a window over the rows: Spark inlines a CTE read twice, so the
    aggregate-and-join below would type and check every row twice (decision 134) #}
first_rows as (

    select
        *,
        min(case when _reference_code is null then _ingest_seq end) over (
            partition by {{ pk | join(', ') }}
        ) as _first_seq
    from reference_checked

),
{%- else %}

duplicate_keys as (

    select
        {%- for k in pk %}
        {{ k }},
        {%- endfor %}
        min(_ingest_seq) as _first_seq
    from reference_checked
    where _reference_code is null
    group by {% for k in pk %}{{ k }}{{ ', ' if not loop.last }}{% endfor %}
    having count(*) > 1

),
{%- endif %}

final as (

    select
        rows_checked._ingest_seq,
        rows_checked._source_file,
        rows_checked._source_row,
        {%- if incremental %}
        rows_checked._landed_hash,
        {%- endif %}
        rows_checked._record_key,
        {%- for c in columns %}
        rows_checked.{{ c.name }},
        {%- endfor %}
        {%- set first_seq = 'rows_checked._first_seq' if by_window else 'duplicate_keys._first_seq' %}
        case
            when rows_checked._reference_code is not null then rows_checked._reference_code
            when rows_checked._ingest_seq > {{ first_seq }} then 'duplicate_key'
        end as _reject_code,
        case
            when rows_checked._reference_code is not null then rows_checked._reference_reason
            when rows_checked._ingest_seq > {{ first_seq }}
                then 'duplicate key: {{ pk | join(", ") }}=' || rows_checked._record_key || ' was already staged from an earlier row; the first row is kept'
        end as _reject_reason
    {%- if by_window %}
    from first_rows as rows_checked
    {%- else %}
    from reference_checked as rows_checked
    left join duplicate_keys
        on {% for k in pk %}rows_checked.{{ k }} = duplicate_keys.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}
    {%- endif %}

)

select * from final
{%- endif -%}
{% endmacro %}

{#- Whether a landing table's duplicate keys are found by a window over its rows rather than by an
    aggregate joined back: the same rows are labelled either way (a staged candidate has its whole key,
    so a null key's partition holds none). DuckDB and PostgreSQL compute a CTE read twice once; Spark
    inlines it and would compute the typing and checks of every row twice, which a window's one sort
    costs less than (usage_daily at 20,000 accounts: 46.5-54.6 s against 32.4-37.6 s; decision 134). -#}
{% macro pp_duplicates_by_window() -%}
    {{ return(adapter.dispatch('pp_duplicates_by_window', 'partnerpulse')()) }}
{%- endmacro %}

{% macro default__pp_duplicates_by_window() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro spark__pp_duplicates_by_window() -%}
    {{ return(true) }}
{%- endmacro %}

{#- Column names of a landing table, from its source definition (execute time only). -#}
{% macro landing_column_names(source_name, table_name) -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
        {%- for c in node.columns.values() %}{% do names.append(c.name) %}{% endfor -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}

{#- One landed column typed per the landing contract (enumerations normalized). -#}
{% macro landing_typed_column(column, alias) -%}
    {%- if column.meta.get('enum') -%}
        {{ pp_normalize_enum(alias ~ '.' ~ column.name, column.meta['enum']) }}
    {%- else -%}
        {{ pp_try_cast(alias ~ '.' ~ column.name, column.meta.get('type', 'text')) }}
    {%- endif -%}
{%- endmacro %}

{#- A hash of a row's values, NULLs included, for telling a changed row from an unchanged one. -#}
{% macro pp_row_hash(expressions) -%}
    {{ return(adapter.dispatch('pp_row_hash', 'partnerpulse')(expressions)) }}
{%- endmacro %}

{% macro duckdb__pp_row_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro default__pp_row_hash(expressions) -%}
    {%- set parts = [] -%}
    {%- for e in expressions -%}
        {#- each value with its length in front, so ('a|b', 'c') and ('a', 'b|c') differ, and NULL
            (no length) differs from the text '<null>' -#}
        {%- set text = "cast(" ~ e ~ " as " ~ dbt.type_string() ~ ")" -%}
        {%- set length = "cast(" ~ dbt.length(text) ~ " as " ~ dbt.type_string() ~ ")" -%}
        {%- do parts.append("coalesce(" ~ length ~ " || ':' || " ~ text ~ ", '<null>')") -%}
    {%- endfor -%}
    {{ dbt.hash(parts | join(" || '|' || ")) }}
{%- endmacro %}

{#- The post-hook of the incremental usage staging tables: the rows whose landing rows are gone leave
    the table. -#}
{% macro pp_delete_rows_no_longer_landed(landed) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as staged
        where not exists (select 1 from {{ landed }} as landed where landed._ingest_seq = staged._ingest_seq)
    {%- endif -%}
{%- endmacro %}
