{#- Every scored account and week against every product line of the catalogue (SPEC §6, §7.3):
    what the account holds of the line at D (quantity, seats, capacity units and ARR in USD at the
    rate of D's month), and for the lines it does not hold, the line's entry edition (lowest
    edition_rank, then product_id) with its list price, in the cross-sell order of the seed
    recommendation_product_lines (unranked lines last, by name). A line counts as held when any of
    its items is effective at D, zero-priced ones included. -#}
with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

held as (

    select * from {{ ref('int_account_product_weeks_held') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved_weekly') }}

),

products as (

    select * from {{ ref('stg_billing__products') }}

),

line_ranks as (

    select * from {{ ref('recommendation_product_lines') }}

),

capacity as (

    select * from {{ ref('usage_capacity') }}

),

editions as (

    select
        product_line,
        product_id,
        product_name,
        pricing_model,
        list_price_annual,
        row_number() over (partition by product_line order by edition_rank, product_id) as edition_order
    from products

),

catalogue_lines as (

    select
        editions.product_line,
        editions.product_id as entry_product_id,
        editions.product_name as entry_product_name,
        editions.pricing_model as entry_pricing_model,
        cast(editions.list_price_annual as decimal(38, 6)) as entry_list_price_usd,
        line_ranks.cross_sell_rank
    from editions
    left join line_ranks
        on editions.product_line = line_ranks.product_line
    where editions.edition_order = 1

),

held_valued as (

    select
        held.week_start,
        held.account_id,
        held.product_line,
        held.pricing_model,
        held.quantity,
        cast(round(held.arr_local * fx_rates.usd_per_unit, 6) as decimal(38, 6)) as arr_usd,
        capacity.product_line is not null as has_capacity
    from held
    left join fx_rates
        on held.week_start = fx_rates.week_start
        and held.currency = fx_rates.currency
    left join capacity
        on held.product_line = capacity.product_line

),

held_lines as (

    select
        week_start,
        account_id,
        product_line,
        sum(quantity) as held_quantity,
        sum(arr_usd) as held_arr_usd,
        sum(case when pricing_model = 'per_seat' then quantity else 0 end) as per_seat_quantity,
        sum(case when pricing_model = 'per_seat' then arr_usd else 0 end) as per_seat_arr_usd,
        sum(case when pricing_model = 'usage' and has_capacity then quantity else 0 end) as capacity_quantity,
        sum(case when pricing_model = 'usage' and has_capacity then arr_usd else 0 end) as capacity_arr_usd
    from held_valued
    group by week_start, account_id, product_line

),

compared as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        catalogue_lines.product_line,
        held_lines.product_line is not null as is_owned,
        cast(coalesce(held_lines.held_quantity, 0) as decimal(38, 4)) as held_quantity,
        cast(coalesce(held_lines.held_arr_usd, 0) as decimal(38, 6)) as held_arr_usd,
        cast(coalesce(held_lines.per_seat_quantity, 0) as decimal(38, 4)) as per_seat_quantity,
        cast(coalesce(held_lines.per_seat_arr_usd, 0) as decimal(38, 6)) as per_seat_arr_usd,
        cast(coalesce(held_lines.capacity_quantity, 0) as decimal(38, 4)) as capacity_quantity,
        cast(coalesce(held_lines.capacity_arr_usd, 0) as decimal(38, 6)) as capacity_arr_usd,
        catalogue_lines.entry_product_id,
        catalogue_lines.entry_product_name,
        catalogue_lines.entry_pricing_model,
        catalogue_lines.entry_list_price_usd,
        catalogue_lines.cross_sell_rank
    from measured
    cross join catalogue_lines
    left join held_lines
        on measured.week_start = held_lines.week_start
        and measured.account_id = held_lines.account_id
        and catalogue_lines.product_line = held_lines.product_line

),

final as (

    select
        *,
        case
            when not is_owned then row_number() over (
                partition by week_start, account_id, is_owned
                order by case when cross_sell_rank is null then 1 else 0 end, cross_sell_rank, product_line
            )
        end as cross_sell_order
    from compared

)

select * from final
