{#- Every landing table as [source, table]. A literal list (not read from the graph) so that the
    refs built from it are known when dbt parses the project;
    tests/test_dbt_project.py::test_landing_table_list_matches_the_sources checks it matches the
    source definitions. -#}
{% macro landing_table_list() -%}
    {{ return([
        ['crm', 'partners'], ['crm', 'accounts'], ['crm', 'partner_assignments'], ['crm', 'contacts'],
        ['crm', 'activities'], ['crm', 'opportunities'], ['crm', 'milestones'], ['crm', 'renewal_plans'],
        ['crm', 'business_events'], ['crm', 'firmographics'],
        ['support', 'support_tickets'], ['support', 'nps_responses'],
        ['usage', 'features'], ['usage', 'usage_daily'], ['usage', 'feature_usage_weekly'],
        ['usage', 'training_enrollments'],
        ['billing', 'products'], ['billing', 'subscriptions'], ['billing', 'subscription_items'],
        ['billing', 'invoices'], ['billing', 'fx_rates'],
    ]) }}
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
