with

renewals as (

    select * from {{ ref('int_subscriptions_renewal_resolved') }}

),

final as (

    select
        subscription_id,
        account_id,
        partner_id,
        start_date,
        end_date,
        grace_end_date,
        auto_renew,
        currency,
        arr_local,
        arr_usd,
        renewal_status,
        renewal_outcome_reason,
        resolved_on,
        successor_subscription_id,
        renewal_close_date,
        days_before_end,
        days_until_end,
        renewal_window,
        renewal_plan_status
    from renewals

)

select * from final
