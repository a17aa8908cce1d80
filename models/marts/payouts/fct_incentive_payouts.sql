{#- The payout ledger (SPEC §8): one line per (period, partner, incentive type, source).

    - A closed period's lines are the frozen ones (ledger.payout_lines_closed), never recomputed.
    - An open period's lines are computed by this refresh (int_payout_lines_computed).
    - When this refresh computes something different for a closed period (late data, a corrected
      deal, a line that is gone), the difference not yet booked becomes an `adjustment` line in the
      first open period after that closed one: the period finance closes and pays next, where it
      stays until that period is closed and freezes it (decision 148). The difference is counted in
      cents, as the finance files pay every line: the line's amount now, in cents, less its frozen
      amount in cents, less the adjustments to it already frozen. The lines compared are those of
      the closed periods the refresh sees whole (ended on or before D): refreshing an older week (a
      re-run, a backfill) never adjusts a period it sees only part of. A line that is gone is
      reversed whether it was frozen with its period or added later by a frozen adjustment.
    The table is rebuilt from these three parts each refresh, so a re-run never duplicates a line.
    Its columns are a payout line's (this model's contract declares them; macros/ledger.sql) and
    period_status. -#}
with

computed as (

    select * from {{ ref('int_payout_lines_computed') }}

),

closed_periods as (

    select * from {{ ref('stg_ledger__payout_periods') }}

),

frozen as (

    select * from {{ ref('stg_ledger__payout_lines_closed') }}

),

numbers as (

    {{ pp_series(240) }}

),

open_lines as (

    select
        computed.*,
        'open' as period_status
    from computed
    where computed.payout_period not in (select payout_period from closed_periods) -- noqa: RF02

),

frozen_lines as (

    select
        frozen.*,
        'closed' as period_status
    from frozen

),

recomputed_closed as (

    select * from computed
    where payout_period in (select payout_period from closed_periods) -- noqa: RF02

),

frozen_originals as (

    select * from frozen
    where incentive_type <> 'adjustment'

),

frozen_adjustment_lines as (

    select
        frozen.*,
        row_number() over (
            partition by frozen.adjusts_payout_line_id
            order by frozen.payout_period desc, frozen.payout_line_id desc
        ) as recency
    from frozen
    where frozen.incentive_type = 'adjustment'

),

frozen_adjustments as (

    {#- per adjusted line: what its frozen adjustments paid, in cents, and the latest one's partner,
        tier and plan (a reversal of a line that is gone takes them) -#}
    select
        adjusts_payout_line_id,
        max(case when recency = 1 then adjusts_period end) as adjusts_period,
        max(case when recency = 1 then partner_id end) as partner_id,
        max(case when recency = 1 then partner_tier end) as partner_tier,
        max(case when recency = 1 then account_id end) as account_id,
        max(case when recency = 1 then plan_version end) as plan_version,
        sum({{ pp_cents('amount_usd') }}) as adjusted_usd
    from frozen_adjustment_lines
    group by adjusts_payout_line_id

),

compared_lines as (

    {#- every line of a closed period this refresh sees whole: recomputed, frozen with its period, or
        adjusted by a frozen adjustment -#}
    select payout_line_id from recomputed_closed
    union
    select payout_line_id from frozen_originals
    union
    select adjusts_payout_line_id as payout_line_id from frozen_adjustments

),

differences as (

    select
        compared_lines.payout_line_id as original_line_id,
        coalesce(
            recomputed_closed.payout_period, frozen_originals.payout_period, frozen_adjustments.adjusts_period
        ) as original_period,
        {%- for column in ['partner_id', 'partner_tier', 'account_id', 'plan_version'] %}
        coalesce(
            recomputed_closed.{{ column }}, frozen_originals.{{ column }}, frozen_adjustments.{{ column }}
        ) as {{ column }},
        {%- endfor %}
        coalesce(
            'Correction of ' || coalesce(recomputed_closed.incentive_type, frozen_originals.incentive_type)
            || ' ' || coalesce(recomputed_closed.source_id, frozen_originals.source_id),
            'Reversal of the adjustments to line ' || compared_lines.payout_line_id || ', no longer computed,'
        ) as correction,
        coalesce({{ pp_cents('recomputed_closed.amount_usd') }}, 0)
        - coalesce({{ pp_cents('frozen_originals.amount_usd') }}, 0)
        - coalesce(frozen_adjustments.adjusted_usd, 0) as difference_usd
    from compared_lines
    left join recomputed_closed
        on compared_lines.payout_line_id = recomputed_closed.payout_line_id
    left join frozen_originals
        on compared_lines.payout_line_id = frozen_originals.payout_line_id
    left join frozen_adjustments
        on compared_lines.payout_line_id = frozen_adjustments.adjusts_payout_line_id

),

seen_whole as (

    {#- a refresh of week D sees a closed period whole when it ended on or before D: one that ends
        after D (a re-run or backfill of its weeks) is outside its view, and is never adjusted by it -#}
    select differences.*
    from differences
    where cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'differences.original_period')) }} as date)
        <= {{ refresh_as_of_date() }}

),

months_after as (

    select
        closed_periods.payout_period as closed_period,
        cast(
            {{ dbt.dateadd('month', 'cast(numbers.generated_number as integer)', 'closed_periods.payout_period') }}
            as date
        ) as candidate_period
    from closed_periods
    cross join numbers

),

next_open_periods as (

    {#- per closed period, the first period after it that is not closed: where its adjustments go -#}
    select
        months_after.closed_period,
        min(months_after.candidate_period) as payout_period
    from months_after
    where months_after.candidate_period not in (select payout_period from closed_periods) -- noqa: RF02
    group by months_after.closed_period

),

adjustment_lines as (

    select
        {{ dbt.hash("'adjustment|' || seen_whole.original_line_id || '|' "
                    ~ "|| cast(next_open_periods.payout_period as " ~ pp_type_text() ~ ")") }}
            as payout_line_id,
        next_open_periods.payout_period,
        seen_whole.partner_id,
        seen_whole.partner_tier,
        'adjustment' as incentive_type,
        'payout_line' as source_type,
        seen_whole.original_line_id as source_id,
        seen_whole.account_id,
        {{ refresh_as_of_date() }} as earned_on,
        seen_whole.difference_usd as basis_usd,
        cast(1 as decimal(18, 8)) as rate,
        seen_whole.difference_usd as amount_usd,
        seen_whole.plan_version,
        seen_whole.correction || ' in closed period '
        || cast(seen_whole.original_period as {{ pp_type_text() }}) as description,
        seen_whole.original_line_id as adjusts_payout_line_id,
        seen_whole.original_period as adjusts_period,
        'open' as period_status
    from seen_whole
    inner join next_open_periods
        on seen_whole.original_period = next_open_periods.closed_period
    where seen_whole.difference_usd <> 0

),

final as (

    select
        {{ payout_line_select() }},
        period_status
    from frozen_lines
    union all
    select
        {{ payout_line_select() }},
        period_status
    from open_lines
    union all
    select
        {{ payout_line_select() }},
        period_status
    from adjustment_lines

)

select * from final
