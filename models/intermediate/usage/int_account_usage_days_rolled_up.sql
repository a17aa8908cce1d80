{#- Days with API calls per account and ISO week, across products (a day counts once). -#}
with

usage as (

    select * from {{ ref('stg_usage__usage_daily') }}

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
