{#- Every calendar month from the first month with a subscription or opportunity to the month holding D.
    measured_at is the month end, or D for the month still in progress (is_complete = false). -#}
with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

first_days as (

    select min(start_date) as first_day from subscriptions
    union all
    select min(created_date) as first_day from opportunities

),

numbers as (

    {{ dbt.generate_series(1200) }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(first_day)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', refresh_as_of_date()) }} as date) as last_month
    from first_days

),

months as (

    select
        cast({{ dbt.dateadd('month', 'cast(numbers.generated_number as integer) - 1', 'bounds.first_month') }} as date)
            as month_start,
        bounds.last_month
    from bounds
    cross join numbers

),

month_ends as (

    select
        month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date) as month_end
    from months
    where month_start <= last_month

),

final as (

    select
        month_start,
        month_end,
        case when month_end <= {{ refresh_as_of_date() }} then month_end else {{ refresh_as_of_date() }} end
            as measured_at,
        month_end <= {{ refresh_as_of_date() }} as is_complete,
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'month_start') }} as date) as year_start
    from month_ends

)

select * from final
