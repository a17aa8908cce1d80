{#- The `replace_weeks` incremental strategy (decision 17): a run replaces whole weeks of a weekly
    table. It deletes every row of the weeks the run writes, then inserts the run's rows:
      unique_key='week_start'    the weekly tables: the refresh window's target weeks
                                 (int_weeks_spined.is_target; such a model selects from it)
      unique_key='refresh_week'  the refresh logs: the run's week (refresh_week())
    Unlike delete+insert, which deletes only the keys present in the new rows, a week whose rows all
    disappear (a quarantine emptied by a fixed landing file, a week without scored accounts after a
    correction) is emptied too, so a re-run or a backfill always leaves exactly the run's rows. -#}
{% macro get_incremental_replace_weeks_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if key == 'week_start' -%}
        {%- set weeks -%}select week_start from {{ ref('int_weeks_spined') }} where is_target{%- endset -%}
    {%- elif key == 'refresh_week' -%}
        {%- set weeks -%}select {{ refresh_week() }}{%- endset -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "replace_weeks: unique_key must be 'week_start' or 'refresh_week', not '" ~ key ~ "' (" ~ target ~ ")") }}
    {%- endif -%}
    delete from {{ target }} where {{ key }} in ({{ weeks }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- A generic test of a weekly table (replace_weeks on week_start) reads only the weeks this run wrote
    (decision 116): the other weeks are the rows earlier builds wrote and tested, which this run did not
    touch, so testing them again each week made a weekly build's tests grow with the history. Only tests
    that judge each row on its own (not_null, accepted_values, expression_is_true) or each week on its own
    (unique_combination over columns that include week_start) are narrowed; any other test, and every
    test of any other model, reads the whole relation as dbt's own macro does. A first refresh or a
    backfill writes every week it holds, so it tests them all. The refresh window is read through the
    source at run time: a test does not depend on it in the graph. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set weeks = pp_weeks_written_filter() if execute else none -%}
    {%- if weeks -%}
        {%- set where = '(' ~ where ~ ') and ' ~ weeks if where else weeks -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The condition narrowing the running test to the weeks written, or none. -#}
{% macro pp_weeks_written_filter() -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if not tested or tested.config.get('incremental_strategy') != 'replace_weeks'
        or tested.config.get('unique_key') != 'week_start' -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set row_tests = ['not_null', 'accepted_values', 'expression_is_true'] -%}
    {%- set per_week = test.get('name') == 'unique_combination'
        and 'week_start' in (test.get('kwargs', {}).get('columns') or []) -%}
    {%- if test.get('name') not in row_tests and not per_week -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return("week_start in (select week_start from " ~ source('ops', 'refresh_window') ~ " where is_target)") -%}
{%- endmacro %}
