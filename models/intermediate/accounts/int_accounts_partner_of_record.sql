{#- The partner of record of every account on the refresh's as-of date D. -#}
with

intervals as (

    select * from {{ ref('int_account_partner_intervals') }}

),

final as (

    select
        account_id,
        partner_id,
        partner_source
    from intervals
    where valid_from <= {{ refresh_as_of_date() }}
        and valid_to > {{ refresh_as_of_date() }}

)

select * from final
