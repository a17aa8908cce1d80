{#- Days with API calls per account and ISO week, across products (a day counts once), in the weeks
    this run reads (int_usage_days_windowed). -#}
with

usage as (

    select * from {{ ref('int_usage_days_windowed') }}

),

final as (

    select
        account_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start,
        count(distinct usage_date) as api_active_days,
        sum(api_calls) as api_calls
    from usage
    where api_calls > 0
    group by account_id, cast({{ dbt.date_trunc('week', 'usage_date') }} as date)

)

select * from final
