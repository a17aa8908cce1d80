{#- Accounts created on or before D with their partner of record on D, current ARR, lifecycle
    phase and latest health category. -#}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partner_of_record as (

    select * from {{ ref('int_accounts_partner_of_record') }}

),

measured as (

    select * from {{ ref('int_account_weeks_measured') }}
    where week_start = {{ refresh_week() }}

),

health as (

    select * from {{ ref('fct_account_health_weekly') }}
    where week_start <= {{ refresh_week() }}

),

latest_health as (

    select
        account_id,
        week_start,
        health_category,
        health_points,
        row_number() over (partition by account_id order by week_start desc) as recency
    from health

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        partner_of_record.partner_id,
        partner_of_record.partner_id is not null as is_partner_attached,
        accounts.segment,
        accounts.industry,
        accounts.region,
        accounts.country,
        accounts.created_date,
        coalesce(measured.arr_usd, cast(0 as decimal(38, 6))) as current_arr_usd,
        measured.account_id is not null as is_active_customer,
        coalesce(measured.product_lines, 0) as product_lines,
        measured.lifecycle_phase,
        latest_health.health_category as latest_health_category,
        latest_health.health_points as latest_health_points,
        latest_health.week_start as latest_health_week
    from accounts
    inner join partner_of_record
        on accounts.account_id = partner_of_record.account_id
    left join measured
        on accounts.account_id = measured.account_id
    left join latest_health
        on accounts.account_id = latest_health.account_id
        and latest_health.recency = 1
    where accounts.created_date <= {{ refresh_as_of_date() }}

)

select * from final
