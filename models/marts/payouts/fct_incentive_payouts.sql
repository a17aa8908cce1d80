{#- The payout ledger (SPEC §8): one line per (period, partner, incentive type, source).

    - A closed period's lines are the frozen ones (ledger.payout_lines_closed), never recomputed.
    - An open period's lines are computed by this refresh (int_payout_lines_computed).
    - When this refresh computes something different for a closed period (late data, a corrected
      deal), the difference not yet booked becomes an `adjustment` line in the current open
      period (the month of D, or the next open one): computed - frozen - adjustments already frozen.
      Only lines earned on or before D are compared, so refreshing an older week (a re-run, a
      backfill) never reverses closed lines earned after it. Once that open period is closed the
      difference is booked and no new adjustment appears.
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

current_open_period as (

    {#- the month of D, or the first month after it that is not closed -#}
    select min(candidate_period) as payout_period
    from (
        select
            cast(
                {{ dbt.dateadd('month', 'cast(numbers.generated_number as integer) - 1',
                               dbt.date_trunc('month', refresh_as_of_date())) }}
                as date
            ) as candidate_period
        from numbers
    ) as candidates
    where candidate_period not in (select payout_period from closed_periods) -- noqa: RF02

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

frozen_adjustments as (

    select
        adjusts_payout_line_id,
        sum(amount_usd) as adjusted_usd
    from frozen
    where incentive_type = 'adjustment'
    group by adjusts_payout_line_id

),

differences as (

    select
        coalesce(recomputed_closed.payout_line_id, frozen_originals.payout_line_id) as original_line_id,
        coalesce(recomputed_closed.payout_period, frozen_originals.payout_period) as original_period,
        coalesce(recomputed_closed.partner_id, frozen_originals.partner_id) as partner_id,
        coalesce(recomputed_closed.partner_tier, frozen_originals.partner_tier) as partner_tier,
        coalesce(recomputed_closed.incentive_type, frozen_originals.incentive_type) as original_type,
        coalesce(recomputed_closed.source_type, frozen_originals.source_type) as source_type,
        coalesce(recomputed_closed.source_id, frozen_originals.source_id) as source_id,
        coalesce(recomputed_closed.account_id, frozen_originals.account_id) as account_id,
        coalesce(recomputed_closed.plan_version, frozen_originals.plan_version) as plan_version,
        coalesce(recomputed_closed.amount_usd, 0)
        - coalesce(frozen_originals.amount_usd, 0)
        - coalesce(frozen_adjustments.adjusted_usd, 0) as difference_usd
    from recomputed_closed
    full outer join frozen_originals
        on recomputed_closed.payout_line_id = frozen_originals.payout_line_id
    left join frozen_adjustments
        on coalesce(recomputed_closed.payout_line_id, frozen_originals.payout_line_id)
        = frozen_adjustments.adjusts_payout_line_id
    {#- a refresh of week D computes only lines earned up to D: a frozen line earned later is not
        "gone", it is outside this refresh's view, and is never reversed by it #}
    where coalesce(recomputed_closed.earned_on, frozen_originals.earned_on) <= {{ refresh_as_of_date() }}

),

adjustment_lines as (

    select
        {{ dbt.hash("'adjustment|' || differences.original_line_id || '|' "
                    ~ "|| cast(current_open_period.payout_period as " ~ pp_type_text() ~ ")") }}
            as payout_line_id,
        current_open_period.payout_period,
        differences.partner_id,
        differences.partner_tier,
        'adjustment' as incentive_type,
        'payout_line' as source_type,
        differences.original_line_id as source_id,
        differences.account_id,
        {{ refresh_as_of_date() }} as earned_on,
        differences.difference_usd as basis_usd,
        cast(1 as decimal(18, 8)) as rate,
        differences.difference_usd as amount_usd,
        differences.plan_version,
        'Correction of ' || differences.original_type || ' ' || differences.source_id || ' in closed period '
        || cast(differences.original_period as {{ pp_type_text() }}) as description,
        differences.original_line_id as adjusts_payout_line_id,
        differences.original_period as adjusts_period,
        'open' as period_status
    from differences
    cross join current_open_period
    where differences.difference_usd <> 0

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
