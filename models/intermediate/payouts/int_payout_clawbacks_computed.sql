{#- Clawbacks (SPEC §8): expansion ARR lost within the plan's clawback window (clawback_days after
    the close) costs the partner the commission paid on the lost part, in the month the loss
    happens. Per expansion commission:

      line       the account's ARR on the deal's product line, every item currency valued at the
                 close month's rate (exchange-rate moves are never a loss, and a deal in another
                 currency than its subscription is measured like any other)
      before     the line the day before the close
      measured   at every month end inside the window and on the window's last day, up to D
                 (monthly figures are measured at month ends, SPEC §3; the window's last day
                 catches a loss after the last month end inside it)
      realized   min(highest line measured so far, before + the deal's expansion ARR): the
                 expansion as it showed up (a deal whose items add less than its amount is not
                 a loss; one that never showed up is never lost)
      lost share (realized - line) / (realized - before), between 0 and 1; the clawed share is
                 the highest lost share so far, so a recovery refunds nothing and a further loss
                 claws back only the rest, once
      amount     commission x clawed share, rounded to 1e-6; each measuring day books the
                 increase over the previous one (never more than the commission in total)
    A deal without a product has no line to measure and is never clawed back. -#}
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
        cast(round(items.arr_local * fx_rates.usd_per_unit, 6) as decimal(38, 6)) as arr_usd
    from commissions
    inner join items
        on commissions.account_id = items.account_id
        and commissions.product_line = items.product_line
    inner join fx_rates
        on items.currency = fx_rates.currency
        and commissions.close_month = fx_rates.month_start

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

realized as (

    select
        measured.source_id,
        measured.partner_id,
        measured.measured_on,
        measured.line_usd,
        before_close.before_usd,
        least(
            max(measured.line_usd) over (
                partition by measured.source_id, measured.partner_id
                order by measured.measured_on
                rows between unbounded preceding and current row
            ),
            before_close.before_usd + commissions.expansion_usd
        ) as realized_usd
    from measured
    inner join before_close
        on measured.source_id = before_close.source_id
        and measured.partner_id = before_close.partner_id
    inner join commissions
        on measured.source_id = commissions.source_id
        and measured.partner_id = commissions.partner_id

),

lost_shares as (

    select
        source_id,
        partner_id,
        measured_on,
        line_usd,
        cast(
            case
                when realized_usd <= before_usd or line_usd >= realized_usd then 0
                when line_usd <= before_usd then 1
                else {{ pp_ratio('realized_usd - line_usd', 'realized_usd - before_usd', 10) }}
            end
            as decimal(21, 10)
        ) as lost_share
    from realized

),

clawed_shares as (

    select
        source_id,
        partner_id,
        measured_on,
        max(lost_share) over (
            partition by source_id, partner_id
            order by measured_on
            rows between unbounded preceding and current row
        ) as clawed_share
    from lost_shares

),

clawed_amounts as (

    select
        clawed_shares.source_id,
        clawed_shares.partner_id,
        clawed_shares.measured_on,
        clawed_shares.clawed_share,
        cast(round(commissions.expansion_usd * clawed_shares.clawed_share, 6) as decimal(38, 6)) as clawed_basis_usd,
        cast(round(commissions.commission_usd * clawed_shares.clawed_share, 6) as decimal(38, 6)) as clawed_usd
    from clawed_shares
    inner join commissions
        on clawed_shares.source_id = commissions.source_id
        and clawed_shares.partner_id = commissions.partner_id

),

increments as (

    select
        source_id,
        partner_id,
        measured_on,
        clawed_share,
        clawed_basis_usd - coalesce(
            lag(clawed_basis_usd) over (partition by source_id, partner_id order by measured_on), 0
        ) as basis_increment_usd,
        clawed_usd - coalesce(
            lag(clawed_usd) over (partition by source_id, partner_id order by measured_on), 0
        ) as amount_increment_usd
    from clawed_amounts

),

final as (

    select
        'clawback' as incentive_type,
        'opportunity' as source_type,
        commissions.source_id,
        commissions.account_id,
        increments.measured_on as earned_on,
        commissions.partner_id,
        commissions.partner_tier,
        commissions.plan_version,
        'Expansion of ' || commissions.source_id || ' (won ' || cast(commissions.closed_on as {{ dbt.type_string() }})
            || ') lost by ' || cast(increments.measured_on as {{ dbt.type_string() }}) || ': '
            || cast(cast(round(increments.clawed_share * 100, 2) as decimal(9, 2)) as {{ dbt.type_string() }})
            || '% of its commission clawed back in all' as description,
        commissions.clawback_days,
        cast(-increments.basis_increment_usd as decimal(38, 6)) as basis_usd,
        commissions.rate,
        cast(-increments.amount_increment_usd as decimal(38, 6)) as amount_usd
    from increments
    inner join commissions
        on increments.source_id = commissions.source_id
        and increments.partner_id = commissions.partner_id
    where increments.amount_increment_usd > 0

)

select * from final
