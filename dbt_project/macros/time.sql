{#- The weekly partition being refreshed: its Monday (`week_start`) and its as-of date D (that
    Sunday). Dagster passes `week_start` (and `week_start_from` for a multi-week window); run by
    hand without vars, dbt uses the latest complete ISO week. -#}

{% macro refresh_week() -%}
    {%- set week = var('week_start', none) -%}
    {%- if week -%}
        cast('{{ week }}' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -7, dbt.date_trunc('week', 'current_date')) }} as date)
    {%- endif -%}
{%- endmacro %}

{% macro refresh_as_of_date() -%}
    cast({{ dbt.dateadd('day', 6, refresh_week()) }} as date)
{%- endmacro %}
