{#- The USD rate of every currency for each complete month: the latest rate_date <= the month end, per
    SPEC §2; USD is 1 — int_fx_rates_resolved_monthly's rows of the complete months, for the ARR chain,
    which then does not change within a month (decision 119). A currency with no rate yet has no row, and
    the test on int_account_arr_line_months_aggregated flags ARR that cannot be converted. -#}
with

fx_rates as (

    select * from {{ ref('stg_billing__fx_rates') }}

),

periods as (

    select * from {{ ref('int_months_completed') }}

),

{{ pp_fx_rates_resolved('month_start', 'measured_at') }}

select * from final
