{#- The products each account holds on each scored week's as-of date D (items effective at D,
    zero-priced ones included), with seats/capacity and ARR in the contract currency. -#}
with

items as (

    select * from {{ ref('int_subscription_items_priced') }}

),

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

held as (

    select
        weeks.week_start,
        weeks.as_of_date,
        items.account_id,
        items.product_id,
        items.product_line,
        items.pricing_model,
        items.currency,
        items.quantity,
        items.arr_local,
        items.subscription_id
    from items
    inner join weeks
        on items.active_from <= weeks.as_of_date
        and items.active_to > weeks.as_of_date

),

final as (

    select
        week_start,
        as_of_date,
        account_id,
        product_id,
        product_line,
        pricing_model,
        currency,
        sum(quantity) as quantity,
        sum(arr_local) as arr_local
    from held
    group by week_start, as_of_date, account_id, product_id, product_line, pricing_model, currency

)

select * from final
