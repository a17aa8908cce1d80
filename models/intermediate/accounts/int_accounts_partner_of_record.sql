{#- The partner of record of every account on the refresh's as-of date D: the partner_assignments
    row covering D wins; without one, accounts.partner_id (empty = direct). -#}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

assignments as (

    select * from {{ ref('stg_crm__partner_assignments') }}

),

assignment_at_as_of as (

    select
        account_id,
        max(partner_id) as partner_id
    from assignments
    where valid_from <= {{ refresh_as_of_date() }}
        and (valid_to is null or valid_to > {{ refresh_as_of_date() }})
    group by account_id

),

final as (

    select
        accounts.account_id,
        coalesce(assignment_at_as_of.partner_id, accounts.partner_id) as partner_id,
        case
            when assignment_at_as_of.partner_id is not null then 'partner_assignments'
            when accounts.partner_id is not null then 'accounts'
            else 'direct'
        end as partner_source
    from accounts
    left join assignment_at_as_of
        on accounts.account_id = assignment_at_as_of.account_id

)

select * from final
