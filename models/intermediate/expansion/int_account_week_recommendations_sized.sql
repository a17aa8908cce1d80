{{ config(materialized='view') }}

{#- How big each proposed recommendation (int_account_week_recommendations_proposed) is: the units
    and the estimated ARR in USD, with the prices and rates they were sized with (the basis that
    int_account_week_recommendations_explained writes out).
    - seat_usage: units = seats (or capacity units) needed to bring utilization back to the target
      (seed recommendation_gates) x the current price per seat (ARR / seats of the held per-seat
      items, USD at the rate of D's month; per capacity unit for capacity-based accounts);
    - product_module: the entry edition's list price x current seats (per-seat lines; active users
      when the account has no seats) or the list price;
    - contract, reference, geographic, retention: the seed recommendation_uplifts' rate x current
      ARR. -#}
with

proposed as (

    select * from {{ ref('int_account_week_recommendations_proposed') }}

),

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

catalogue as (

    select * from {{ ref('int_account_weeks_catalogue_compared') }}

),

uplifts as (

    select * from {{ ref('recommendation_uplifts') }}

),

gates as (

    select * from {{ ref('recommendation_gates') }}

),

catalogued as (

    {#- the account-week's held lines and, for a product/module recommendation, its entry edition -#}
    select
        proposed.*,
        catalogue.per_seat_arr_usd,
        catalogue.capacity_quantity,
        catalogue.capacity_arr_usd,
        case
            when proposed.recommended_product_id = catalogue.entry_product_id then catalogue.entry_list_price_usd
        end as entry_list_price_usd,
        case
            when proposed.recommended_product_id = catalogue.entry_product_id then catalogue.entry_pricing_model
        end as entry_pricing_model
    from proposed
    left join catalogue
        on proposed.week_start = catalogue.week_start
        and proposed.account_id = catalogue.account_id

),

sized as (

    select
        catalogued.*,
        case
            when catalogued.opportunity_type = 'seat_usage' and measured.utilization_basis = 'seats'
                then greatest(
                    ceiling({{ pp_ratio('measured.seat_monthly_active_users', 'gates.target_utilization') }})
                    - measured.licensed_seats,
                    0
                )
            when catalogued.opportunity_type = 'seat_usage' and measured.utilization_basis = 'capacity'
                then greatest(
                    ceiling({{ pp_ratio('catalogued.capacity_quantity * measured.license_utilization',
                                        'gates.target_utilization') }})
                    - catalogued.capacity_quantity,
                    0
                )
            when catalogued.opportunity_type = 'product_module' and catalogued.entry_pricing_model = 'per_seat'
                then case
                    when measured.licensed_seats > 0 then measured.licensed_seats
                    else measured.max_product_monthly_active_users
                end
            when catalogued.opportunity_type = 'product_module' then 1
        end as units,
        measured.utilization_basis,
        measured.licensed_seats,
        measured.arr_usd,
        gates.target_utilization,
        uplifts.uplift_rate
    from catalogued
    cross join gates
    inner join measured
        on catalogued.week_start = measured.week_start
        and catalogued.account_id = measured.account_id
    left join uplifts
        on catalogued.opportunity_type = uplifts.opportunity_type

),

estimated as (

    select
        *,
        cast(
            case
                when opportunity_type = 'seat_usage' and utilization_basis = 'seats'
                    then {{ pp_ratio('units * per_seat_arr_usd', 'licensed_seats', 6) }}
                when opportunity_type = 'seat_usage' and utilization_basis = 'capacity'
                    then {{ pp_ratio('units * capacity_arr_usd', 'capacity_quantity', 6) }}
                when opportunity_type = 'seat_usage' then 0
                when opportunity_type = 'product_module' then units * entry_list_price_usd
                else round(arr_usd * uplift_rate, 6)
            end
            as decimal(38, 6)
        ) as estimated_arr_usd
    from sized

),

final as (

    select
        week_start,
        account_id,
        opportunity_type,
        product_line,
        recommended_product_id,
        trigger_signals,
        trigger_reason,
        units,
        estimated_arr_usd,
        utilization_basis,
        licensed_seats,
        target_utilization,
        per_seat_arr_usd,
        capacity_quantity,
        capacity_arr_usd,
        entry_list_price_usd,
        entry_pricing_model,
        arr_usd,
        uplift_rate
    from estimated

)

select * from final
