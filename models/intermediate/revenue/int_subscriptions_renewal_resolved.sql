{#- Every subscription known at D (started on or before D) with its renewal outcome (SPEC §4):
    renewed when a successor renews it (int_subscriptions_renewal_matched: one starting on its
    end_date or within the grace period after it, or one that renews it explicitly); churned once
    the grace period has passed without one (or when it was cancelled before its end), open until
    then. ARR up for renewal is the subscription's ARR on its last active day (D when it has not
    ended yet). -#}
with

matched as (

    select * from {{ ref('int_subscriptions_renewal_matched') }}

),

milestones as (

    select * from {{ ref('renewal_milestones') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_monthly') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

renewal_plans as (

    select * from {{ ref('stg_crm__renewal_plans') }}

),

partner_intervals as (

    select * from {{ ref('int_account_partner_intervals') }}

),

measured as (

    select
        matched.*,
        {#- the last day with ARR: the end date, the day before a cancellation, or D #}
        least(
            matched.end_date,
            coalesce(cast({{ dbt.dateadd('day', -1, 'matched.cancelled_date') }} as date), matched.end_date),
            {{ refresh_as_of_date() }}
        ) as measured_on
    from matched

),

subscription_arr as (

    select
        measured.subscription_id,
        sum(items.arr_local) as arr_local
    from measured
    inner join items
        on measured.subscription_id = items.subscription_id
        and items.active_from <= measured.measured_on
        and items.active_to > measured.measured_on
    group by measured.subscription_id

),

renewal_deals as (

    {#- the renewal deal of record (int_opportunities_enriched, one per renewed subscription: the latest
        won Renewal deal closed by D), which also earns the renewal bonus -#}
    select
        renewal_subscription_id as subscription_id,
        close_date as renewal_close_date
    from opportunities
    where is_renewal_of_record

),

plan_updates as (

    select
        subscription_id,
        status,
        row_number() over (
            partition by subscription_id order by updated_date desc, renewal_plan_id desc
        ) as recency
    from renewal_plans
    where updated_date <= {{ refresh_as_of_date() }}

),

windows as (

    select
        measured.subscription_id,
        min(milestones.milestone_days) as window_days
    from measured
    inner join milestones
        on {{ dbt.datediff(refresh_as_of_date(), 'measured.end_date', 'day') }} between 0 and milestones.milestone_days
    group by measured.subscription_id

),

resolved as (

    select
        measured.subscription_id,
        measured.account_id,
        measured.start_date,
        measured.end_date,
        measured.grace_end_date,
        measured.currency,
        measured.auto_renew,
        measured.cancelled_date,
        measured.measured_on,
        coalesce(subscription_arr.arr_local, 0) as arr_local,
        measured.successor_subscription_id,
        measured.successor_start_date,
        case
            when measured.successor_subscription_id is not null then 'renewed'
            when measured.cancelled_date is not null
                and measured.cancelled_date <= measured.end_date
                and measured.cancelled_date <= {{ refresh_as_of_date() }} then 'churned'
            when measured.grace_end_date < {{ refresh_as_of_date() }} then 'churned'
            else 'open'
        end as renewal_status,
        case
            when measured.successor_subscription_id is not null then 'successor_started'
            when measured.cancelled_date is not null
                and measured.cancelled_date <= measured.end_date
                and measured.cancelled_date <= {{ refresh_as_of_date() }} then 'cancelled'
            when measured.grace_end_date < {{ refresh_as_of_date() }} then 'grace_period_passed'
            when measured.end_date < {{ refresh_as_of_date() }} then 'in_grace_period'
            else 'not_ended'
        end as renewal_outcome_reason,
        renewal_deals.renewal_close_date,
        coalesce(plan_updates.status, 'missing') as renewal_plan_status,
        cast({{ dbt.datediff(refresh_as_of_date(), 'measured.end_date', 'day') }} as bigint) as days_until_end,
        windows.window_days
    from measured
    left join subscription_arr
        on measured.subscription_id = subscription_arr.subscription_id
    left join renewal_deals
        on measured.subscription_id = renewal_deals.subscription_id
    left join plan_updates
        on measured.subscription_id = plan_updates.subscription_id
        and plan_updates.recency = 1
    left join windows
        on measured.subscription_id = windows.subscription_id

),

final as (

    select
        resolved.subscription_id,
        resolved.account_id,
        partner_intervals.partner_id,
        resolved.start_date,
        resolved.end_date,
        resolved.grace_end_date,
        resolved.auto_renew,
        resolved.currency,
        resolved.arr_local,
        fx_rates.usd_per_unit,
        case
            when resolved.arr_local = 0 then cast(0 as decimal(38, 6))
            else cast(round(resolved.arr_local * fx_rates.usd_per_unit, 6) as decimal(38, 6))
        end as arr_usd,
        resolved.renewal_status,
        resolved.renewal_outcome_reason,
        case
            when resolved.renewal_status = 'renewed'
                then case
                    when resolved.successor_start_date > resolved.end_date then resolved.successor_start_date
                    else cast({{ dbt.dateadd('day', 1, 'resolved.end_date') }} as date)
                end
            when resolved.renewal_outcome_reason = 'cancelled' then resolved.cancelled_date
            when resolved.renewal_status = 'churned'
                then cast({{ dbt.dateadd('day', 1, 'resolved.grace_end_date') }} as date)
        end as resolved_on,
        resolved.successor_subscription_id,
        resolved.renewal_close_date,
        case
            when resolved.renewal_close_date is not null
                then cast({{ dbt.datediff('resolved.renewal_close_date', 'resolved.end_date', 'day') }} as bigint)
        end as days_before_end,
        resolved.days_until_end,
        case
            when resolved.days_until_end < 0 then 'ended'
            else coalesce(milestones.milestone_label, 'later')
        end as renewal_window,
        resolved.renewal_plan_status
    from resolved
    left join fx_rates
        on cast({{ dbt.date_trunc('month', 'resolved.measured_on') }} as date) = fx_rates.month_start
        and resolved.currency = fx_rates.currency
    left join partner_intervals
        on resolved.account_id = partner_intervals.account_id
        and partner_intervals.valid_from <= resolved.measured_on
        and partner_intervals.valid_to > resolved.measured_on
    left join milestones
        on resolved.window_days = milestones.milestone_days

)

select * from final
