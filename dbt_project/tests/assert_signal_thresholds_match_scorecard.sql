{#- C2 (support trend decreasing) and C3 (executive sponsorship Active) restate rules of the health
    scorecard; their thresholds in signal_thresholds must equal the scorecard's: C2 = minus
    scorecard_rules.support_min_change and minus support_relative_change, C3 = the lower edge
    (inclusive) of the Active executive sponsorship band. Returns the mismatches. -#}
{{ config(meta={'dagster': {'ref': {'name': 'signal_thresholds'}}}) }}

with

thresholds as (

    select * from {{ ref('signal_thresholds') }}

),

rules as (

    select * from {{ ref('scorecard_rules') }}

),

bands as (

    select * from {{ ref('scorecard_bands') }}

),

expected as (

    select
        'C2' as signal_code,
        'support_ticket_change_90d' as measure,
        '<=' as comparison,
        cast(-support_min_change as decimal(18, 6)) as threshold
    from rules
    union all
    select
        'C2' as signal_code,
        'support_ticket_change_ratio_90d' as measure,
        '<=' as comparison,
        cast(-support_relative_change as decimal(18, 6)) as threshold
    from rules
    union all
    select
        'C3' as signal_code,
        'executive_activities_180d' as measure,
        case when lower_inclusive then '>=' else '>' end as comparison,
        cast(lower_bound as decimal(18, 6)) as threshold
    from bands
    where metric = 'executive_sponsorship'
        and level = 'Active'

),

problems as (

    select
        expected.signal_code,
        expected.measure,
        expected.comparison as expected_comparison,
        expected.threshold as expected_threshold,
        thresholds.comparison,
        thresholds.threshold
    from expected
    left join thresholds
        on expected.signal_code = thresholds.signal_code
        and expected.measure = thresholds.measure
    where thresholds.threshold is null
        or thresholds.threshold <> expected.threshold
        or thresholds.comparison <> expected.comparison
    union all
    select
        thresholds.signal_code,
        thresholds.measure,
        cast(null as {{ pp_type_text() }}) as expected_comparison,
        cast(null as decimal(18, 6)) as expected_threshold,
        thresholds.comparison,
        thresholds.threshold
    from thresholds
    left join expected
        on thresholds.signal_code = expected.signal_code
        and thresholds.measure = expected.measure
    where thresholds.signal_code in ('C2', 'C3')
        and expected.measure is null

)

select * from problems
