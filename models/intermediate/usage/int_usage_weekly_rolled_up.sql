{#- Daily usage rolled up to ISO weeks per account and product, in the weeks this run reads
    (int_usage_days_windowed). Because D is a Sunday, "the latest row on or before D within the
    trailing 7 days" (SPEC §5) is the latest row of D's ISO week: its monthly/weekly active users
    and active departments are the week's values. -#}
with

usage as (

    select * from {{ ref('int_usage_days_windowed') }}

),

weeks_of_rows as (

    select
        account_id,
        product_id,
        usage_date,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start,
        monthly_active_users,
        weekly_active_users,
        active_departments,
        coalesce(api_calls, 0) as api_calls,
        storage_gb,
        row_number() over (
            partition by account_id, product_id, cast({{ dbt.date_trunc('week', 'usage_date') }} as date)
            order by usage_date desc
        ) as recency
    from usage

),

weekly as (

    select
        account_id,
        product_id,
        week_start,
        max(usage_date) as last_usage_date,
        sum(api_calls) as api_calls,
        max(case when recency = 1 then coalesce(monthly_active_users, 0) end) as monthly_active_users,
        max(case when recency = 1 then coalesce(weekly_active_users, 0) end) as weekly_active_users,
        max(case when recency = 1 then coalesce(active_departments, 0) end) as active_departments,
        max(case when recency = 1 then storage_gb end) as storage_gb
    from weeks_of_rows
    group by account_id, product_id, week_start

),

final as (

    select * from weekly

)

select * from final
