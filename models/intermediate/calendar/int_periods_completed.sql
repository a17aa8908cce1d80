{#- The retention periods (SPEC §4: month, quarter, calendar year) whose every month is complete
    (int_months_completed): a quarter once its three months are, a year once its twelve are. A period's
    cohort is measured at the end of start_month, the month before it; its end at the end of last_month
    (period_end). Every retention model reads its periods here. -#}
with

months as (

    select * from {{ ref('int_months_completed') }}

),

month_periods as (

    select
        'month' as period_type,
        month_start as period_start,
        month_start as last_month
    from months

),

quarter_periods as (

    select
        'quarter' as period_type,
        quarter_start as period_start,
        max(month_start) as last_month
    from months
    group by quarter_start
    having count(*) = 3

),

year_periods as (

    select
        'year' as period_type,
        year_start as period_start,
        max(month_start) as last_month
    from months
    group by year_start
    having count(*) = 12

),

unioned as (

    select * from month_periods
    union all
    select * from quarter_periods
    union all
    select * from year_periods

),

final as (

    select
        period_type,
        period_start,
        cast({{ dbt.dateadd('month', -1, 'period_start') }} as date) as start_month,
        last_month,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'last_month')) }} as date) as period_end
    from unioned

)

select * from final
