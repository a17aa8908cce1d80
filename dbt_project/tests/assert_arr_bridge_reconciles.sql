{#- For every account and every complete month: the sum of its movements equals its ARR at this
    month end minus its ARR at the previous month end, exactly (USD, SPEC §4). Returns the
    accounts and months that do not tie out. -#}
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
        sum(arr_usd) as arr_usd
    from monthly
    group by account_id, month_start

),

beginning as (

    select
        account_id,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as month_start,
        arr_usd
    from ending

),

moved as (

    select
        account_id,
        month_start,
        sum(arr_change_usd) as arr_change_usd
    from movements
    group by account_id, month_start

),

keys as (

    select
        account_id,
        month_start
    from ending
    union
    select
        beginning.account_id,
        beginning.month_start
    from beginning
    inner join months on beginning.month_start = months.month_start
    union
    select
        account_id,
        month_start
    from moved

),

compared as (

    select
        keys.account_id,
        keys.month_start,
        coalesce(beginning.arr_usd, 0) as beginning_arr_usd,
        coalesce(ending.arr_usd, 0) as ending_arr_usd,
        coalesce(moved.arr_change_usd, 0) as movements_usd
    from keys
    left join beginning
        on keys.account_id = beginning.account_id and keys.month_start = beginning.month_start
    left join ending
        on keys.account_id = ending.account_id and keys.month_start = ending.month_start
    left join moved
        on keys.account_id = moved.account_id and keys.month_start = moved.month_start

)

select * from compared
where movements_usd <> ending_arr_usd - beginning_arr_usd
    or movements_usd is null
    or ending_arr_usd is null
