{#- The monthly ARR bridge per account and product line (SPEC §4), with the partner of record at
    the month end. Sum of arr_change_usd per account and month = ending - beginning ARR (tested). -#}
with

movements as (

    select * from {{ ref('int_arr_movements_classified') }}

),

partners as (

    select * from {{ ref('int_account_months_partnered') }}

),

final as (

    select
        movements.month_start,
        movements.account_id,
        partners.partner_id_at_end as partner_id,
        movements.product_line,
        movements.movement_type,
        movements.arr_change_usd
    from movements
    left join partners
        on movements.account_id = partners.account_id
        and movements.month_start = partners.month_start

)

select * from final
