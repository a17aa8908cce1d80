{#- Month-end ARR per account, product line and contract currency, for every complete month up to
    the refresh's as-of date D, with the partner of record at the month end. -#}
with

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

partners as (

    select * from {{ ref('int_account_months_partnered') }}

),

final as (

    select
        line_months.month_start,
        line_months.measured_at as month_end,
        line_months.account_id,
        line_months.product_line,
        partners.partner_id_at_end as partner_id,
        line_months.currency,
        line_months.arr_local,
        line_months.usd_per_unit,
        line_months.arr_usd
    from line_months
    left join partners
        on line_months.account_id = partners.account_id
        and line_months.month_start = partners.month_start

)

select * from final
