{#- The run's week (SPEC §3): the Monday of the last week of its partition window (`week_start`)
    and its as-of date D (that Sunday). The orchestrator passes it in the environment variable
    PARTNERPULSE_WEEK_START, read when a node runs, never while dbt parses the project: a new week
    then never invalidates dbt's partial parsing (a full parse costs seconds every week, and vars
    are part of the parse state). `--vars '{week_start: …}'` still wins (dbt by hand, unit tests);
    without either, the latest complete ISO week. Which weeks a run writes is the refresh window
    (decision 17: ops.refresh_window, stg_ops__refresh_window, int_weeks_spined). -#}

{% macro refresh_week() -%}
    {%- set week = var('week_start', none) or (env_var('PARTNERPULSE_WEEK_START', '') if execute else '') -%}
    {%- if week and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', week | string) -%}
        {{ exceptions.raise_compiler_error("The run's week must be a date YYYY-MM-DD, got '" ~ week ~ "'") }}
    {%- endif -%}
    {%- if week -%}
        cast('{{ week }}' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -7, dbt.date_trunc('week', 'current_date')) }} as date)
    {%- endif -%}
{%- endmacro %}

{% macro refresh_as_of_date() -%}
    cast({{ dbt.dateadd('day', 6, refresh_week()) }} as date)
{%- endmacro %}

{#- ISO day of the week of a date: Monday 1 … Sunday 7. -#}
{% macro pp_iso_weekday(expr) -%}
    {{ return(adapter.dispatch('pp_iso_weekday', 'partnerpulse')(expr)) }}
{%- endmacro %}

{% macro default__pp_iso_weekday(expr) -%}
    extract(isodow from {{ expr }})
{%- endmacro %}

{% macro spark__pp_iso_weekday(expr) -%}
    extract(dayofweek_iso from {{ expr }})
{%- endmacro %}
