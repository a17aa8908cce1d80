{#- The accounts with ARR > 0 at each complete month's end, grouped by the attributes the retention
    dimensions read (SPEC §4: the partner of record at the month's end, its tier and type, the
    account's segment and region), with how many of them have two or more product lines. One row
    per month and combination: rpt_retention adds the groups of each period's last month into its
    seven dimensions, so each account-month is counted once, however many periods end in that month
    (decision 155). -#}
with

line_months as (

    select * from {{ ref('int_account_arr_line_months_aggregated') }}
    where is_complete

),

partnered as (

    select * from {{ ref('int_account_months_partnered') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

account_lines as (

    select
        account_id,
        month_start,
        count(distinct product_line) as product_lines
    from line_months
    group by account_id, month_start

),

account_months_dimensioned as (

    select
        account_lines.month_start,
        account_lines.product_lines,
        partnered.partner_id_at_end as partner_id,
        partners.partner_tier,
        partners.partner_type,
        accounts.segment,
        accounts.region
    from account_lines
    inner join partnered
        on account_lines.account_id = partnered.account_id
        and account_lines.month_start = partnered.month_start
    inner join accounts
        on account_lines.account_id = accounts.account_id
    left join partners
        on partnered.partner_id_at_end = partners.partner_id

),

final as (

    select
        month_start,
        partner_id,
        partner_tier,
        partner_type,
        segment,
        region,
        count(*) as active_accounts,
        sum(case when product_lines >= 2 then 1 else 0 end) as multi_product_accounts
    from account_months_dimensioned
    group by month_start, partner_id, partner_tier, partner_type, segment, region

)

select * from final
