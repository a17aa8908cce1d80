{#- The partner-of-record intervals of an account never overlap, so a day has one partner. -#}
{{ config(meta={'dagster': {'ref': {'name': 'int_account_partner_intervals'}}}) }}

with

intervals as (

    select * from {{ ref('int_account_partner_intervals') }}

)

select
    earlier.account_id,
    earlier.valid_from,
    later.valid_from as overlapping_from
from intervals as earlier
inner join intervals as later
    on earlier.account_id = later.account_id
    and earlier.valid_from < later.valid_from
    and earlier.valid_to > later.valid_from
