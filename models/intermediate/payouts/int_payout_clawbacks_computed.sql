{#- Clawbacks (SPEC §8): expansion ARR lost within the plan's clawback window (clawback_days after
    the close) costs the partner the commission paid on the lost part, in the month the loss
    happens. Per expansion commission, from its line measured before the close and on every
    measuring day (int_expansion_commissions_measured):

      realized   min(highest line measured so far, before + the deal's expansion ARR): the
                 expansion as it showed up (a deal whose items add less than its amount is not
                 a loss; one that never showed up is never lost)
      lost share (realized - line) / (realized - before), between 0 and 1; the clawed share is
                 the highest lost share so far, so a recovery refunds nothing and a further loss
                 claws back only the rest, once
      amount     the commission as paid (in cents, as the finance files pay it) x clawed share,
                 in cents; each measuring day books the increase over the previous one, so the
                 steps add up to exactly what was paid once the whole expansion is lost, never
                 more (decision 156: 210.00525 is paid as 210.01; half, then the rest, claws back
                 105.01 and 105.00) -#}
with

measured as (

    select * from {{ ref('int_expansion_commissions_measured') }}

),

realized as (

    select
        *,
        least(
            max(line_usd) over (
                partition by source_id, partner_id
                order by measured_on
                rows between unbounded preceding and current row
            ),
            before_usd + expansion_usd
        ) as realized_usd
    from measured

),

lost_shares as (

    select
        *,
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
        *,
        max(lost_share) over (
            partition by source_id, partner_id
            order by measured_on
            rows between unbounded preceding and current row
        ) as clawed_share
    from lost_shares

),

clawed_amounts as (

    select
        *,
        cast(round(expansion_usd * clawed_share, 6) as decimal(38, 6)) as clawed_basis_usd,
        {{ pp_cents(pp_cents('commission_usd') ~ ' * clawed_share') }} as clawed_usd
    from clawed_shares

),

increments as (

    select
        *,
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
        source_id,
        account_id,
        measured_on as earned_on,
        partner_id,
        partner_tier,
        plan_version,
        'Expansion of ' || source_id || ' (won ' || cast(closed_on as {{ dbt.type_string() }})
        || ') lost by ' || cast(measured_on as {{ dbt.type_string() }}) || ': '
        || cast(cast(round(clawed_share * 100, 2) as decimal(9, 2)) as {{ dbt.type_string() }})
        || '% of its commission clawed back in all' as description,
        clawback_days,
        cast(-basis_increment_usd as decimal(38, 6)) as basis_usd,
        rate,
        cast(-amount_increment_usd as decimal(38, 6)) as amount_usd
    from increments
    where amount_increment_usd > 0

)

select * from final
