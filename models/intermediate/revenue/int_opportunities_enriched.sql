{#- Opportunities known at D (created on or before D) with their state at D, USD value and the
    facts the expansion funnel needs (SPEC §4). A deal that closed after D is still open at D;
    its stage at D is not recorded, so it counts as qualified pipeline. -#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_monthly') }}

),

known as (

    select
        *,
        stage in ('Closed Won', 'Closed Lost') and close_date <= {{ refresh_as_of_date() }} as is_closed,
        stage = 'Closed Won' and close_date <= {{ refresh_as_of_date() }} as is_won,
        stage = 'Closed Lost' and close_date <= {{ refresh_as_of_date() }} as is_lost,
        opportunity_type in ('Upsell', 'Cross-sell', 'License Expansion') as is_expansion
    from opportunities
    where created_date <= {{ refresh_as_of_date() }}

),

validated as (

    select distinct known.opportunity_id
    from known
    inner join activities
        on known.account_id = activities.account_id
        and activities.activity_type in ('pilot', 'proof_of_concept', 'architecture_workshop')
        and activities.activity_date >= known.created_date
        and activities.activity_date <= coalesce(known.close_date, {{ refresh_as_of_date() }})
        and activities.activity_date <= {{ refresh_as_of_date() }}
    where known.is_expansion

),

renewals_of_record as (

    {#- per renewed subscription, the won Renewal deal its renewal is dated by (fct_renewals: the latest
        close; on a tie the larger id), the one deal that earns the renewal bonus (decision 156) -#}
    select
        opportunity_id,
        row_number() over (
            partition by renewal_subscription_id order by close_date desc, opportunity_id desc
        ) as recency
    from known
    where opportunity_type = 'Renewal' and is_won and renewal_subscription_id is not null

),

first_subscriptions as (

    select
        account_id,
        min(start_date) as first_subscription_start
    from subscriptions
    group by account_id

),

final as (

    select
        known.opportunity_id,
        known.account_id,
        known.partner_id,
        known.partner_role,
        known.opportunity_type,
        known.product_id,
        known.renewal_subscription_id,
        case when known.is_closed then known.stage else 'open' end as state_at_as_of,
        known.stage,
        known.is_expansion,
        known.is_closed,
        known.is_won,
        known.is_lost,
        not known.is_closed and known.stage <> 'Qualification' as is_qualified_open,
        known.stage <> 'Qualification' as has_passed_qualification,
        known.created_date,
        case when known.is_closed then known.close_date end as close_date,
        cast({{ dbt.date_trunc('quarter', 'known.created_date') }} as date) as created_quarter,
        case when known.is_closed then cast({{ dbt.date_trunc('quarter', 'known.close_date') }} as date) end
            as close_quarter,
        case when known.is_closed then {{ dbt.datediff('known.created_date', 'known.close_date', 'day') }} end
            as sales_cycle_days,
        known.currency,
        known.amount_arr,
        {#- closed deals at their close month's rate, open ones at the rate of D's month #}
        cast(round(known.amount_arr * fx_rates.usd_per_unit, 6) as decimal(38, 6)) as amount_arr_usd,
        validated.opportunity_id is not null as had_validation_step,
        renewals_of_record.opportunity_id is not null as is_renewal_of_record,
        first_subscriptions.first_subscription_start
    from known
    left join fx_rates
        on known.currency = fx_rates.currency
        and fx_rates.month_start = cast(
            {{ dbt.date_trunc('month', "case when known.is_closed then known.close_date else "
                                       ~ refresh_as_of_date() ~ " end") }}
            as date
        )
    left join validated
        on known.opportunity_id = validated.opportunity_id
    left join renewals_of_record
        on known.opportunity_id = renewals_of_record.opportunity_id
        and renewals_of_record.recency = 1
    left join first_subscriptions
        on known.account_id = first_subscriptions.account_id

)

select * from final
