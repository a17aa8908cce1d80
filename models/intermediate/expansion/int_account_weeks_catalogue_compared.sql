{#- Every scored account and week against the product lines of the catalogue (SPEC §6, §7.3), one row
    per account-week: how many lines it holds at D and how many it does not; the line a seat or usage
    expansion is about (most seats, else most capacity units); its per-seat ARR and capacity units with
    their ARR in USD at the rate of D's month; and the next line to cross-sell, the first line not held
    in the cross-sell order of the seed recommendation_product_lines (unranked lines last, by name), with
    its entry edition (lowest edition_rank, then product_id) and list price. A line counts as held when
    any of its items is effective at D, zero-priced ones included.
    Only the held lines are read (a few per account-week), never the account-weeks x catalogue: the
    catalogue's lines are numbered in cross-sell order once, and the first line not held follows the
    longest run 1, 2, ..., m of held numbers (a held line whose rank among the held equals its number). -#}
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
        pricing_model,
        list_price_annual,
        row_number() over (partition by product_line order by edition_rank, product_id) as edition_order
    from products

),

catalogue_lines as (

    select
        editions.product_line,
        editions.product_id as entry_product_id,
        editions.pricing_model as entry_pricing_model,
        cast(editions.list_price_annual as decimal(38, 6)) as entry_list_price_usd,
        row_number() over (
            order by
                case when line_ranks.cross_sell_rank is null then 1 else 0 end,
                line_ranks.cross_sell_rank,
                editions.product_line
        ) as cross_sell_order
    from editions
    left join line_ranks
        on editions.product_line = line_ranks.product_line
    where editions.edition_order = 1

),

catalogue_size as (

    select count(*) as catalogue_lines
    from catalogue_lines

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
        sum(case when pricing_model = 'per_seat' then quantity else 0 end) as per_seat_quantity,
        sum(case when pricing_model = 'per_seat' then arr_usd else 0 end) as per_seat_arr_usd,
        sum(case when pricing_model = 'usage' and has_capacity then quantity else 0 end) as capacity_quantity,
        sum(case when pricing_model = 'usage' and has_capacity then arr_usd else 0 end) as capacity_arr_usd
    from held_valued
    group by week_start, account_id, product_line

),

held_catalogue_lines as (

    select
        held_lines.week_start,
        held_lines.account_id,
        held_lines.product_line,
        catalogue_lines.cross_sell_order,
        cast(coalesce(held_lines.per_seat_quantity, 0) as decimal(38, 4)) as per_seat_quantity,
        cast(coalesce(held_lines.per_seat_arr_usd, 0) as decimal(38, 6)) as per_seat_arr_usd,
        cast(coalesce(held_lines.capacity_quantity, 0) as decimal(38, 4)) as capacity_quantity,
        cast(coalesce(held_lines.capacity_arr_usd, 0) as decimal(38, 6)) as capacity_arr_usd
    from held_lines
    inner join catalogue_lines
        on held_lines.product_line = catalogue_lines.product_line

),

held_ordered as (

    select
        *,
        row_number() over (partition by week_start, account_id order by cross_sell_order) as held_order,
        row_number() over (
            partition by week_start, account_id order by per_seat_quantity desc, product_line -- noqa: AM03
        ) as seat_order,
        row_number() over (
            partition by week_start, account_id order by capacity_quantity desc, product_line -- noqa: AM03
        ) as capacity_order
    from held_catalogue_lines

),

holdings as (

    select
        week_start,
        account_id,
        count(*) as lines_owned,
        max(case when held_order = cross_sell_order then cross_sell_order else 0 end) as held_run,
        max(case when seat_order = 1 then product_line end) as main_seat_line,
        max(case when capacity_order = 1 and capacity_quantity > 0 then product_line end) as main_capacity_line,
        sum(per_seat_arr_usd) as per_seat_arr_usd,
        sum(capacity_quantity) as capacity_quantity,
        sum(capacity_arr_usd) as capacity_arr_usd
    from held_ordered
    group by week_start, account_id

),

compared as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        cast(coalesce(holdings.lines_owned, 0) as bigint) as lines_owned,
        cast(catalogue_size.catalogue_lines - coalesce(holdings.lines_owned, 0) as bigint) as lines_not_owned,
        holdings.main_seat_line,
        holdings.main_capacity_line,
        holdings.per_seat_arr_usd,
        holdings.capacity_quantity,
        holdings.capacity_arr_usd,
        coalesce(holdings.held_run, 0) + 1 as next_cross_sell_order
    from measured
    cross join catalogue_size
    left join holdings
        on measured.week_start = holdings.week_start
        and measured.account_id = holdings.account_id

),

final as (

    select
        compared.week_start,
        compared.as_of_date,
        compared.account_id,
        compared.lines_owned,
        compared.lines_not_owned,
        compared.main_seat_line,
        compared.main_capacity_line,
        compared.per_seat_arr_usd,
        compared.capacity_quantity,
        compared.capacity_arr_usd,
        next_line.product_line as cross_sell_line,
        next_line.entry_product_id,
        next_line.entry_pricing_model,
        next_line.entry_list_price_usd
    from compared
    left join catalogue_lines as next_line
        on compared.next_cross_sell_order = next_line.cross_sell_order

)

select * from final
