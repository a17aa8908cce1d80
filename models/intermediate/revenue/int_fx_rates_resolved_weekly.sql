{#- The USD rate of every currency on each scored week's as-of date D: the latest rate_date <= D
    (SPEC §2); USD is 1. Weekly figures use it so that a week's values never depend on rates
    published after its Sunday (a month-end rate would). -#}
with

fx_rates as (

    select * from {{ ref('stg_billing__fx_rates') }}

),

periods as (

    select * from {{ ref('int_weeks_spined') }}

),

{{ pp_fx_rates_resolved('week_start', 'as_of_date') }}

select * from final
