{{ config(materialized='view') }}

{#- The retention dimensions of every account in every complete month (SPEC §4, decision 156): its partner
    of record on the month's first day with that partner's tier and type (none for a direct account), and
    the account's segment and region. The cohorts, the renewals and the active accounts of a period read it
    at the period's first month, so every column of rpt_retention groups by the same partner. A view: a
    lookup the three read in their own queries, not a copy of every account-month. -#}
with

partnered as (

    select * from {{ ref('int_account_months_partnered') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

final as (

    select
        partnered.account_id,
        partnered.month_start,
        partnered.partner_id_at_start as partner_id,
        partners.partner_tier,
        partners.partner_type,
        accounts.segment,
        accounts.region
    from partnered
    inner join accounts
        on partnered.account_id = accounts.account_id
    left join partners
        on partnered.partner_id_at_start = partners.partner_id

)

select * from final
