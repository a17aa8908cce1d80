{#- dbt's should_full_refresh (its global macro, which the incremental, seed and view materializations and
    is_incremental() call), extended by one case: an incremental model whose meta sets
    rebuild_on_project_change is built whole when the refresh asks for it (PARTNERPULSE_REBUILD_STAGING=1,
    set exactly when it reloads the seeds: the project or a seed table changed; decisions 103, 128). The
    variable is read when the model runs, never while dbt parses (a parse would remember it and parse the
    model again whenever it changes). A whole build is dbt's own full
    refresh of the model: the old table stays until the new one replaces it, so a build that fails or skips
    the model leaves it as it was. A model's full_refresh config and `--full-refresh` keep dbt's meaning. -#}
{% macro should_full_refresh() %}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH or pp_project_rebuild_requested() -%}
    {%- endif -%}
    {%- do return(config_full_refresh) -%}
{% endmacro %}

{% macro pp_project_rebuild_requested() %}
    {%- if not execute or not (config.get('meta') or {}).get('rebuild_on_project_change') -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- do return(env_var('PARTNERPULSE_REBUILD_STAGING', '0') | trim == '1') -%}
{% endmacro %}
