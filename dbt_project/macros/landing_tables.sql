{#- GENERATED from the landing sources (models/staging/*/_*__sources.yml, meta landing: true) by
    `python -m dagster_project.defs.landing.contract`: do not edit; run that command after adding,
    removing or renaming a landing table (tests/test_dbt_project.py fails until you do).
    Every landing table as [source, table]. A literal, not read from the graph: the refs built
    from it must be known while dbt parses the project, before it reads the sources. -#}
{% macro landing_table_list() -%}
    {{ return([
        ['billing', 'products'],
        ['billing', 'subscriptions'],
        ['billing', 'subscription_items'],
        ['billing', 'invoices'],
        ['billing', 'fx_rates'],
        ['crm', 'partners'],
        ['crm', 'accounts'],
        ['crm', 'partner_assignments'],
        ['crm', 'contacts'],
        ['crm', 'activities'],
        ['crm', 'opportunities'],
        ['crm', 'milestones'],
        ['crm', 'renewal_plans'],
        ['crm', 'business_events'],
        ['crm', 'firmographics'],
        ['support', 'support_tickets'],
        ['support', 'nps_responses'],
        ['usage', 'features'],
        ['usage', 'usage_daily'],
        ['usage', 'feature_usage_weekly'],
        ['usage', 'training_enrollments'],
    ]) }}
{%- endmacro %}
