with

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

final as (

    select
        partner_id,
        partner_name,
        partner_type,
        partner_tier,
        region,
        onboarded_date
    from partners
    where onboarded_date is null or onboarded_date <= {{ refresh_as_of_date() }}

)

select * from final
