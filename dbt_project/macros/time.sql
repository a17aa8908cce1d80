{#- The run's week (SPEC §3): the Monday of the last week of its partition window (`week_start`)
    and its as-of date D (that Sunday). The orchestrator passes it in the environment variable
    PARTNERPULSE_WEEK_START, read when a node runs, never while dbt parses the project: a new week
    then never invalidates dbt's partial parsing (a full parse costs seconds every week, and vars
    are part of the parse state). `--vars '{week_start: …}'` still wins (dbt by hand, unit tests);
    without either, the latest complete ISO week. Which weeks a run writes is the refresh window
    (decision 17: ops.refresh_window, stg_ops__refresh_window, int_weeks_spined). -#}

{% macro refresh_week() -%}
    {%- set week = refresh_week_given() | trim -%}
    {%- if week -%}
        cast('{{ week }}' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -7, dbt.date_trunc('week', 'current_date')) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- The run's week as given ('YYYY-MM-DD', checked), or '' when neither the variable nor the environment
    gives one. The dates derived from a given week are computed here, in Jinja, and reach SQL as one
    literal each: on Spark, dbt's dateadd repeats its argument several times, so nested date arithmetic
    on the week grew into a constant expression of hundreds of terms that Spark took seconds to analyse
    (int_months_completed: 7-10 s on a few rows). -#}
{% macro refresh_week_given() -%}
    {%- set week = var('week_start', none) or (env_var('PARTNERPULSE_WEEK_START', '') if execute else '') -%}
    {%- if week and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', week | string) -%}
        {{ exceptions.raise_compiler_error("The run's week must be a date YYYY-MM-DD, got '" ~ week ~ "'") }}
    {%- endif -%}
    {{- week if week else '' -}}
{%- endmacro %}

{#- A given week's date plus `days`, as 'YYYY-MM-DD'. -#}
{% macro refresh_week_plus(week, days) -%}
    {{- (modules.datetime.date.fromisoformat(week | string) + modules.datetime.timedelta(days=days)).isoformat() -}}
{%- endmacro %}

{% macro refresh_as_of_date() -%}
    {%- set week = refresh_week_given() | trim -%}
    {%- if week -%}
        cast('{{ refresh_week_plus(week, 6) }}' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', 6, refresh_week()) }} as date)
    {%- endif -%}
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

{#- The last month end on or before D (D itself when D is a month end): the months up to it are complete
    (decision 13). Within a month it is the same every week, so a model that reads the run's date only
    through this macro is left out of a weekly build while it and its inputs are unchanged (decision 119,
    models_state.py). -#}
{% macro refresh_last_month_end() -%}
    {%- set week = refresh_week_given() | trim -%}
    {%- if week -%}
        {#- the day before the first of the month after D (the week's Sunday) -#}
        {%- set first_of_next = modules.datetime.date.fromisoformat(refresh_week_plus(week, 7)).replace(day=1) -%}
        cast('{{ (first_of_next - modules.datetime.timedelta(days=1)).isoformat() }}' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, refresh_as_of_date()))) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- The month spine's CTEs after a model's import CTEs `subscriptions` and `opportunities`: every calendar
    month from the first month with a subscription or opportunity to the month holding `last_day`, with
    measured_at = the month end, or `last_day` for a month ending after it (is_complete = false). Ends
    with the CTE `final`. -#}
{% macro pp_month_spine(last_day) -%}
first_days as (

    select min(start_date) as first_day from subscriptions
    union all
    select min(created_date) as first_day from opportunities

),

numbers as (

    {{ pp_series(1200) }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(first_day)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', last_day) }} as date) as last_month
    from first_days

),

months as (

    select
        cast({{ dbt.dateadd('month', 'cast(numbers.generated_number as integer) - 1', 'bounds.first_month') }} as date)
            as month_start,
        bounds.last_month
    from bounds
    cross join numbers

),

month_ends as (

    select
        month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date) as month_end
    from months
    where month_start <= last_month

),

final as (

    select
        month_start,
        month_end,
        case when month_end <= {{ last_day }} then month_end else {{ last_day }} end as measured_at,
        month_end <= {{ last_day }} as is_complete,
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'month_start') }} as date) as year_start
    from month_ends

)
{%- endmacro %}
