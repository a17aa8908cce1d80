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
