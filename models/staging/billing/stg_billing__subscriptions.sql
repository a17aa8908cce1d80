with

base as (

    select * from {{ ref('base_billing__subscriptions') }}

),

staged as (

    select
        subscription_id,
        account_id,
        currency,
        start_date,
        end_date,
        auto_renew,
        status,
        cancelled_date,
        renewed_from_subscription_id
    from base
    where _reject_code is null

)

select * from staged
