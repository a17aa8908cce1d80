{#- Weekly history (SPEC §3, issue "history and point-in-time").

    target_weeks(): the weeks this run writes into the weekly marts (and the weekly health
    snapshot, int_account_weeks_health_snapshotted) — the partition window
    [week_start_from, week_start], plus every week from var('first_week') up to week_start that
    they do not hold yet (so the first refresh builds the whole history and later refreshes add
    one week). Read at execution time from marts.fct_account_health_weekly and
    intermediate.int_account_weeks_health_snapshotted: a week missing from either is rebuilt.

    scoring_weeks_sql(): those weeks plus the weeks 1 and 4 before each (previous category and
    trend), as rows (week_start, as_of_date, is_target). Every figure of a week is computed from
    facts dated on or before its as_of_date only. -#}

{% macro _pp_monday(value) -%}
    {%- set day = modules.datetime.date.fromisoformat(value | string) -%}
    {{ return(day - modules.datetime.timedelta(days=day.weekday())) }}
{%- endmacro %}

{% macro _pp_last_week() -%}
    {%- set week = var('week_start', none) -%}
    {%- if week -%}
        {{ return(_pp_monday(week)) }}
    {%- endif -%}
    {%- set today = modules.datetime.date.today() -%}
    {{ return(today - modules.datetime.timedelta(days=today.weekday() + 7)) }}
{%- endmacro %}

{% macro target_weeks() -%}
    {%- set last = _pp_last_week() -%}
    {%- set window_first = _pp_monday(var('week_start_from')) if var('week_start_from', none) else last -%}
    {%- set weeks = [] -%}
    {%- for i in range(((last - window_first).days // 7) + 1) -%}
        {%- do weeks.append(window_first + modules.datetime.timedelta(days=7 * i)) -%}
    {%- endfor -%}
    {%- set first_week = var('first_week', none) -%}
    {%- if first_week and execute -%}
        {#- a week is held when every weekly history table holds it (a table added later, such as
            the intermediate health snapshot, gets its missing weeks built on its first run) -#}
        {%- set existing = [] -%}
        {%- set relations = [] -%}
        {%- for schema, identifier in [
                ('marts', 'fct_account_health_weekly'), ('intermediate', 'int_account_weeks_health_snapshotted')] -%}
            {%- do relations.append(adapter.get_relation(
                    database=target.database, schema=schema, identifier=identifier)) -%}
        {%- endfor -%}
        {%- if none not in relations and not flags.FULL_REFRESH -%}
            {%- set held_query -%}
                {%- for relation in relations -%}
                select distinct cast(week_start as varchar) from {{ relation }}
                {%- if not loop.last %} intersect {% endif -%}
                {%- endfor -%}
            {%- endset -%}
            {%- set result = run_query(held_query) -%}
            {%- for value in result.columns[0].values() %}{% do existing.append(value | string) %}{% endfor -%}
        {%- endif -%}
        {%- set first = _pp_monday(first_week) -%}
        {%- for i in range(((last - first).days // 7) + 1) -%}
            {%- set week = first + modules.datetime.timedelta(days=7 * i) -%}
            {%- if week.isoformat() not in existing and week not in weeks -%}
                {%- do weeks.append(week) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(weeks | sort) }}
{%- endmacro %}

{% macro scoring_weeks_sql() -%}
    {%- set targets = target_weeks() -%}
    {%- set rows = {} -%}
    {%- for week in targets -%}
        {%- for back in [28, 7] -%}
            {%- set helper = week - modules.datetime.timedelta(days=back) -%}
            {%- if helper.isoformat() not in rows -%}{%- do rows.update({helper.isoformat(): false}) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for week in targets -%}{%- do rows.update({week.isoformat(): true}) -%}{%- endfor -%}
    select
        weeks.week_start,
        cast({{ dbt.dateadd('day', 6, 'weeks.week_start') }} as date) as as_of_date,
        weeks.is_target
    from (
        values
        {%- for week in rows | sort %}
        (cast('{{ week }}' as date), {{ 'true' if rows[week] else 'false' }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as weeks (week_start, is_target)
{%- endmacro %}

{#- pre_hook of the weekly marts (and the weekly health snapshot): remove the rows of the weeks
    this run writes, so a re-run or a backfill replaces them (idempotent) instead of adding
    duplicates. The weeks are int_weeks_spined's target weeks, decided once per run when it is
    built (every model using this hook selects from it, so it is built first): target_weeks()
    evaluated again here could differ, once an earlier model of the same run has filled weeks
    the history tables lacked, and the rows of those weeks would be inserted twice. -#}
{% macro delete_target_weeks() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where week_start in (
            select week_start from {{ ref('int_weeks_spined') }} where is_target
        )
    {%- endif -%}
{%- endmacro %}

{#- Every week from var('first_week') (or the refreshed week when unset) to the refreshed week, as
    rows (week_start). -#}
{% macro all_weeks_sql() -%}
    {%- set last = _pp_last_week() -%}
    {%- set first = _pp_monday(var('first_week')) if var('first_week', none) else last -%}
    {%- if first > last %}{% set first = last %}{% endif -%}
    select weeks.week_start
    from (
        values
        {%- for i in range(((last - first).days // 7) + 1) %}
        (cast('{{ (first + modules.datetime.timedelta(days=7 * i)).isoformat() }}' as date)){{ ',' if not loop.last }}
        {%- endfor %}
    ) as weeks (week_start)
{%- endmacro %}
