{#- Each subscription item as an ARR interval [active_from, active_to) in the contract currency
    (SPEC §3): quantity x unit_price_annual x (1 - discount_pct/100), while effective_from <= d <
    effective_to (or <= the subscription end), start_date <= d <= end_date and d < cancelled_date.
    ARR is exact to 1e-6 of the currency unit. -#}
with

items as (

    select * from {{ ref('stg_billing__subscription_items') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

products as (

    select * from {{ ref('stg_billing__products') }}

),

joined as (

    select
        items.item_id,
        items.subscription_id,
        subscriptions.account_id,
        subscriptions.currency,
        items.product_id,
        products.product_line,
        products.edition_rank,
        products.pricing_model,
        items.quantity,
        items.unit_price_annual,
        coalesce(items.discount_pct, 0) as discount_pct,
        case
            when items.effective_from > subscriptions.start_date then items.effective_from
            else subscriptions.start_date
        end as active_from,
        {#- exclusive end: the earliest of the item's end, the day after the subscription's last
            day, and the cancellation date -#}
        least(
            coalesce(items.effective_to, cast({{ dbt.dateadd('day', 1, 'subscriptions.end_date') }} as date)),
            cast({{ dbt.dateadd('day', 1, 'subscriptions.end_date') }} as date),
            coalesce(subscriptions.cancelled_date, cast({{ dbt.dateadd('day', 1, 'subscriptions.end_date') }} as date))
        ) as active_to
    from items
    inner join subscriptions
        on items.subscription_id = subscriptions.subscription_id
    inner join products
        on items.product_id = products.product_id

),

priced as (

    select
        *,
        cast(
            round(
                {#- widen first: DuckDB keeps the wider input's width when multiplying decimals -#}
                cast(quantity as decimal(38, 4))
                * cast(unit_price_annual as decimal(38, 4))
                * cast(100 - discount_pct as decimal(38, 4))
                * cast(0.01 as decimal(3, 2)),
                6
            )
            as decimal(38, 6)
        ) as arr_local
    from joined

),

final as (

    select * from priced
    where active_from < active_to

)

select * from final
