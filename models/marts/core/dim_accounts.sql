with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

partner_of_record as (

    select * from {{ ref('int_accounts_partner_of_record') }}

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        partner_of_record.partner_id,
        partner_of_record.partner_id is not null as is_partner_attached,
        accounts.segment,
        accounts.industry,
        accounts.region,
        accounts.country,
        accounts.created_date
    from accounts
    inner join partner_of_record
        on accounts.account_id = partner_of_record.account_id
    where accounts.created_date <= {{ refresh_as_of_date() }}

)

select * from final
