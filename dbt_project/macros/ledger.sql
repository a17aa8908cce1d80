{#- The payout ledger's control tables (SPEC §8). They belong to the warehouse, not to dbt: the
    `partnerpulse close-period` command writes them; dbt only creates them empty on first use
    (on-run-start) and reads them as the `ledger` source. -#}
{% macro payout_line_columns() -%}
    payout_line_id varchar,
    payout_period date,
    partner_id varchar,
    partner_tier varchar,
    incentive_type varchar,
    source_type varchar,
    source_id varchar,
    account_id varchar,
    earned_on date,
    basis_usd decimal(38, 6),
    rate decimal(18, 8),
    amount_usd decimal(38, 6),
    plan_version varchar,
    description varchar,
    adjusts_payout_line_id varchar,
    adjusts_period date
{%- endmacro %}

{% macro create_ledger_tables() -%}
    create schema if not exists ledger;
    create table if not exists ledger.payout_periods (
        payout_period date,
        status varchar,
        closed_at timestamp,
        payout_lines bigint,
        total_usd decimal(38, 6)
    );
    create table if not exists ledger.payout_lines_closed (
        {{ payout_line_columns() }},
        closed_at timestamp
    );
{%- endmacro %}

{#- The incentive types of SPEC §8, in statement column order. -#}
{% macro incentive_types() -%}
    {{ return(['expansion_commission', 'renewal_bonus', 'multi_product_spiff', 'nrr_performance_bonus',
               'health_improvement_reward', 'clawback', 'adjustment']) }}
{%- endmacro %}
