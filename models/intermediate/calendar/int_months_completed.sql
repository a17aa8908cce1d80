{#- The complete months of int_months_spined (month_end <= D): the months of ARR, the bridge and retention
    (decision 13). It reads D only through the last month end on or before it, so within a month it and the
    ARR chain built on it are the same every week (decision 119). -#}
with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

{{ pp_month_spine(refresh_last_month_end()) }}

select * from final
