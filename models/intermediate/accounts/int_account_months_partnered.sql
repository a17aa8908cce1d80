{#- The partner of record of every account on the first day and on the last day of every complete month
    (the months of ARR, the bridge and retention; decision 13). -#}
with

intervals as (

    select * from {{ ref('int_account_partner_intervals') }}

),

months as (

    select * from {{ ref('int_months_completed') }}

),

at_start as (

    select
        intervals.account_id,
        months.month_start,
        months.measured_at,
        intervals.partner_id
    from intervals
    inner join months
        on intervals.valid_from <= months.month_start
        and intervals.valid_to > months.month_start

),

at_measure as (

    select
        intervals.account_id,
        months.month_start,
        intervals.partner_id
    from intervals
    inner join months
        on intervals.valid_from <= months.measured_at
        and intervals.valid_to > months.measured_at

),

final as (

    select
        at_start.account_id,
        at_start.month_start,
        at_start.measured_at,
        at_start.partner_id as partner_id_at_start,
        at_measure.partner_id as partner_id_at_end
    from at_start
    inner join at_measure
        on at_start.account_id = at_measure.account_id
        and at_start.month_start = at_measure.month_start

)

select * from final
