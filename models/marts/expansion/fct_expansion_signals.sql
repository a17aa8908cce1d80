{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='week_start',
        partition_by=pp_week_partition('week_start'),
        on_schema_change=pp_contract_on_schema_change(),
    )
}}

{#- One row per account, week and expansion signal that fired (SPEC §7.2): product usage U1-U6,
    customer success C1-C5, business B1-B6, and the competitive alert CA1, each with the value
    observed at the week's Sunday D and the threshold it crossed (seed signal_thresholds). A
    refresh writes its target weeks (macros/weeks.sql) and keeps the others. -#}
with

signals as (

    select * from {{ ref('int_account_week_signals_fired') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

final as (

    select
        signals.week_start,
        signals.as_of_date,
        signals.account_id,
        signals.partner_id,
        signals.signal_category,
        signals.signal_code,
        signals.measure,
        signals.comparison,
        signals.observed_value,
        signals.threshold,
        signals.description
    from signals
    inner join weeks
        on signals.week_start = weeks.week_start
    where weeks.is_target

)

select * from final
