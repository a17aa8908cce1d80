{#- Every account with ARR > 0 on a scored week's as-of date D (the accounts that are scored,
    SPEC §5), with its ARR in USD (latest rate on or before D), product lines, licensed seats, partner of
    record, and the facts the lifecycle and renewal-plan rules need. -#}
with

held as (

    select * from {{ ref('int_account_product_weeks_held') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_weekly') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partner_intervals as (

    select * from {{ ref('int_account_partner_intervals') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

valued as (

    select
        held.*,
        cast(round(held.arr_local * fx_rates.usd_per_unit, 6) as decimal(38, 6)) as arr_usd
    from held
    left join fx_rates
        on held.week_start = fx_rates.week_start
        and held.currency = fx_rates.currency

),

account_weeks as (

    select
        week_start,
        as_of_date,
        account_id,
        sum(arr_usd) as arr_usd,
        count(distinct case when arr_local > 0 then product_line end) as product_lines,
        sum(case when pricing_model = 'per_seat' then quantity else 0 end) as licensed_seats
    from valued
    group by week_start, as_of_date, account_id
    having sum(arr_local) > 0

),

first_starts as (

    select
        account_id,
        min(start_date) as first_subscription_start
    from subscriptions
    group by account_id

),

next_ends as (

    {#- the subscription in force at D that ends first (SPEC §7.1's next subscription end: any
        subscription of the account, as every subscription is up for renewal, SPEC §4) -#}
    select
        account_weeks.week_start,
        account_weeks.account_id,
        subscriptions.subscription_id,
        subscriptions.end_date,
        row_number() over (
            partition by account_weeks.week_start, account_weeks.account_id
            order by subscriptions.end_date, subscriptions.subscription_id
        ) as end_order
    from account_weeks
    inner join subscriptions
        on account_weeks.account_id = subscriptions.account_id
        and subscriptions.start_date <= account_weeks.as_of_date
        and subscriptions.end_date >= account_weeks.as_of_date
        and (subscriptions.cancelled_date is null or subscriptions.cancelled_date > account_weeks.as_of_date)

),

final as (

    select
        account_weeks.week_start,
        account_weeks.as_of_date,
        account_weeks.account_id,
        partner_intervals.partner_id,
        accounts.segment,
        accounts.region,
        account_weeks.arr_usd,
        account_weeks.product_lines,
        account_weeks.licensed_seats,
        first_starts.first_subscription_start,
        next_ends.subscription_id as next_end_subscription_id,
        next_ends.end_date as next_end_date,
        {{ dbt.datediff('account_weeks.as_of_date', 'next_ends.end_date', 'day') }} as days_to_next_end
    from account_weeks
    inner join accounts
        on account_weeks.account_id = accounts.account_id
    left join partner_intervals
        on account_weeks.account_id = partner_intervals.account_id
        and partner_intervals.valid_from <= account_weeks.as_of_date
        and partner_intervals.valid_to > account_weeks.as_of_date
    left join first_starts
        on account_weeks.account_id = first_starts.account_id
    left join next_ends
        on account_weeks.week_start = next_ends.week_start
        and account_weeks.account_id = next_ends.account_id
        and next_ends.end_order = 1

)

select * from final
