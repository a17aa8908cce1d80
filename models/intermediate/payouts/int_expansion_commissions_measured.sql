{#- Every expansion commission (int_payout_lines_earned) measured for its clawback (SPEC §8): the
    account's ARR on the deal's product line, every item currency valued at the close month's
    rate (exchange-rate moves are never a loss, and a deal in another currency than its
    subscription is measured like any other; a currency with no rate yet in the close month, such
    as one the subscription is renewed into, at its first month's rate: decision 156),
      before_usd  on the day before the close, and
      line_usd    on every measuring day: every month end inside the window (clawback_days after
                  the close) and the window's last day, up to D (monthly figures are measured at
                  month ends, SPEC §3; the window's last day catches a loss after the last month
                  end inside it).
    One row per commission (source_id, partner_id) and measuring day, with the commission's
    terms. A deal without a product has no line to measure and is never clawed back.
    int_payout_clawbacks_computed turns the measurements into clawbacks. -#}
with

earned as (

    select * from {{ ref('int_payout_lines_earned') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

products as (

    select * from {{ ref('stg_billing__products') }}

),

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_monthly') }}

),

months as (

    select * from {{ ref('int_months_spined') }}
    where is_complete

),

rated_months as (

    select
        currency,
        usd_per_unit,
        row_number() over (partition by currency order by month_start) as month_order
    from fx_rates

),

first_rates as (

    {#- each currency's rate in the first month that has one -#}
    select
        currency,
        usd_per_unit
    from rated_months
    where month_order = 1

),

commissions as (

    select
        earned.source_id,
        earned.account_id,
        earned.partner_id,
        earned.partner_tier,
        earned.plan_version,
        earned.clawback_days,
        earned.earned_on as closed_on,
        cast({{ dbt.dateadd('day', 'earned.clawback_days', 'earned.earned_on') }} as date) as window_end,
        cast({{ dbt.date_trunc('month', 'earned.earned_on') }} as date) as close_month,
        earned.basis_usd as expansion_usd,
        earned.rate,
        earned.amount_usd as commission_usd,
        products.product_line
    from earned
    inner join opportunities
        on earned.source_id = opportunities.opportunity_id
    inner join products
        on opportunities.product_id = products.product_id
    where earned.incentive_type = 'expansion_commission'
        and earned.basis_usd > 0

),

line_items as (

    select
        commissions.source_id,
        commissions.partner_id,
        items.active_from,
        items.active_to,
        cast(
            round(items.arr_local * coalesce(close_rates.usd_per_unit, first_rates.usd_per_unit), 6)
            as decimal(38, 6)
        ) as arr_usd
    from commissions
    inner join items
        on commissions.account_id = items.account_id
        and commissions.product_line = items.product_line
    left join fx_rates as close_rates
        on items.currency = close_rates.currency
        and commissions.close_month = close_rates.month_start
    inner join first_rates
        on items.currency = first_rates.currency

),

before_close as (

    {#- items active on the day before the close: active_from <= close - 1 < active_to -#}
    select
        commissions.source_id,
        commissions.partner_id,
        coalesce(sum(line_items.arr_usd), 0) as before_usd
    from commissions
    left join line_items
        on commissions.source_id = line_items.source_id
        and commissions.partner_id = line_items.partner_id
        and line_items.active_from < commissions.closed_on
        and line_items.active_to >= commissions.closed_on
    group by commissions.source_id, commissions.partner_id

),

measuring_days as (

    select
        commissions.source_id,
        commissions.partner_id,
        months.month_end as measured_on
    from commissions
    inner join months
        on months.month_end >= commissions.closed_on
        and months.month_end <= commissions.window_end
    union
    select
        source_id,
        partner_id,
        window_end as measured_on
    from commissions
    where window_end <= {{ refresh_as_of_date() }}

),

measured as (

    select
        measuring_days.source_id,
        measuring_days.partner_id,
        measuring_days.measured_on,
        coalesce(sum(line_items.arr_usd), 0) as line_usd
    from measuring_days
    left join line_items
        on measuring_days.source_id = line_items.source_id
        and measuring_days.partner_id = line_items.partner_id
        and line_items.active_from <= measuring_days.measured_on
        and line_items.active_to > measuring_days.measured_on
    group by measuring_days.source_id, measuring_days.partner_id, measuring_days.measured_on

),

final as (

    select
        commissions.source_id,
        commissions.account_id,
        commissions.partner_id,
        commissions.partner_tier,
        commissions.plan_version,
        commissions.clawback_days,
        commissions.product_line,
        commissions.closed_on,
        commissions.window_end,
        commissions.expansion_usd,
        commissions.rate,
        commissions.commission_usd,
        before_close.before_usd,
        measured.measured_on,
        measured.line_usd
    from measured
    inner join before_close
        on measured.source_id = before_close.source_id
        and measured.partner_id = before_close.partner_id
    inner join commissions
        on measured.source_id = commissions.source_id
        and measured.partner_id = commissions.partner_id

)

select * from final
