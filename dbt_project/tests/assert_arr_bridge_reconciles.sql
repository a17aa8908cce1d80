{#- For every account and every complete month: the sum of its movements equals its ARR at this
    month end minus its ARR at the previous month end, exactly (USD, SPEC §4). Returns the
    accounts and months that do not tie out. One pass: each month-end ARR row counts as the
    ending of its month and the beginning of the next, each movement as moved in its month, and
    one aggregation sums them per account and month (no joins, so Spark shuffles once). An
    account-month is checked where it has an ending or a movement, or a beginning in a complete
    month. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_arr_movements'}}}) }}

with

monthly as (

    select * from {{ ref('fct_arr_monthly') }}

),

movements as (

    select * from {{ ref('fct_arr_movements') }}

),

months as (

    select month_start from {{ ref('int_months_spined') }}
    where is_complete

),

ending as (

    select
        account_id,
        month_start,
        'ending' as part,
        arr_usd as amount_usd,
        1 as is_checked
    from monthly

),

next_months as (

    select
        account_id,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as month_start,
        arr_usd
    from monthly

),

beginning as (

    select
        next_months.account_id,
        next_months.month_start,
        'beginning' as part,
        next_months.arr_usd as amount_usd,
        case when months.month_start is null then 0 else 1 end as is_checked
    from next_months
    left join months
        on next_months.month_start = months.month_start

),

moved as (

    select
        account_id,
        month_start,
        'moved' as part,
        arr_change_usd as amount_usd,
        1 as is_checked
    from movements

),

parts as (

    select * from ending
    union all
    select * from beginning
    union all
    select * from moved

),

compared as (

    select
        account_id,
        month_start,
        coalesce(sum(case when part = 'beginning' then amount_usd end), 0) as beginning_arr_usd,
        coalesce(sum(case when part = 'ending' then amount_usd end), 0) as ending_arr_usd,
        coalesce(sum(case when part = 'moved' then amount_usd end), 0) as movements_usd
    from parts
    group by account_id, month_start
    having max(is_checked) = 1

)

select * from compared
where movements_usd <> ending_arr_usd - beginning_arr_usd
