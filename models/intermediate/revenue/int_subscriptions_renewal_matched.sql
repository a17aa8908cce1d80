{#- Every subscription known at D (started on or before D) with the end of its grace period (seed
    renewal_rules) and the subscription that renews it, if any (SPEC §4): the account's first
    subscription, by start date then id, that renews it explicitly (renewed_from_subscription_id)
    or starts on its end_date or later — a successor starting on the last covered day, a one-day
    overlap common in billing exports, is the renewal — and no later than the grace end. A
    successor always starts after the expiring subscription did, so neither the subscription
    itself nor an older overlapping one counts. int_subscriptions_renewal_resolved turns this into
    the renewal outcome. -#}
with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

renewal_rules as (

    select * from {{ ref('renewal_rules') }}

),

known as (

    select
        subscriptions.*,
        cast({{ dbt.dateadd('day', 'renewal_rules.grace_days', 'subscriptions.end_date') }} as date) as grace_end_date
    from subscriptions
    cross join renewal_rules
    where subscriptions.start_date <= {{ refresh_as_of_date() }}

),

successor_candidates as (

    select
        expiring.subscription_id,
        successor.subscription_id as successor_subscription_id,
        successor.start_date as successor_start_date,
        row_number() over (
            partition by expiring.subscription_id
            order by successor.start_date, successor.subscription_id
        ) as rank_in_time
    from known as expiring
    inner join known as successor
        on expiring.account_id = successor.account_id
        and expiring.subscription_id <> successor.subscription_id
        and (
            successor.renewed_from_subscription_id = expiring.subscription_id
            or successor.start_date >= expiring.end_date
        )
        and successor.start_date > expiring.start_date
        and successor.start_date <= expiring.grace_end_date

),

successors as (

    select
        subscription_id,
        successor_subscription_id,
        successor_start_date
    from successor_candidates
    where rank_in_time = 1

),

final as (

    select
        known.subscription_id,
        known.account_id,
        known.currency,
        known.start_date,
        known.end_date,
        known.auto_renew,
        known.cancelled_date,
        known.grace_end_date,
        successors.successor_subscription_id,
        successors.successor_start_date
    from known
    left join successors
        on known.subscription_id = successors.subscription_id

)

select * from final
