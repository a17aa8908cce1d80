{#- Every calendar month from the first month with a subscription or opportunity to the month holding D.
    measured_at is the month end, or D for the month in progress (is_complete = false). -#}
with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

{{ pp_month_spine(refresh_as_of_date()) }}

select * from final
