{#- The partner of record of every account as non-overlapping intervals [valid_from, valid_to)
    covering all time (SPEC §2): partner_assignments rows where they exist (when two overlap, the
    later one starts where it starts), accounts.partner_id everywhere else (null = direct).
    Look a day up with: valid_from <= day and day < valid_to. -#}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

assignments as (

    select * from {{ ref('stg_crm__partner_assignments') }}

),

ordered as (

    select
        account_id,
        partner_id,
        valid_from,
        coalesce(valid_to, cast('9999-12-31' as date)) as valid_to,
        lead(valid_from) over (partition by account_id order by valid_from) as next_valid_from,
        lag(valid_to) over (partition by account_id order by valid_from) as previous_valid_to,
        row_number() over (partition by account_id order by valid_from) as position,
        count(*) over (partition by account_id) as assignments
    from assignments

),

assigned as (

    select
        account_id,
        partner_id,
        valid_from,
        case when next_valid_from < valid_to then next_valid_from else valid_to end as valid_to,
        'partner_assignments' as partner_source
    from ordered

),

before_first as (

    select
        ordered.account_id,
        accounts.partner_id,
        cast('1900-01-01' as date) as valid_from,
        ordered.valid_from as valid_to,
        'accounts' as partner_source
    from ordered
    inner join accounts on ordered.account_id = accounts.account_id
    where ordered.position = 1

),

between_assignments as (

    select
        ordered.account_id,
        accounts.partner_id,
        ordered.previous_valid_to as valid_from,
        ordered.valid_from as valid_to,
        'accounts' as partner_source
    from ordered
    inner join accounts on ordered.account_id = accounts.account_id
    where ordered.position > 1 and ordered.previous_valid_to < ordered.valid_from

),

after_last as (

    select
        ordered.account_id,
        accounts.partner_id,
        ordered.valid_to as valid_from,
        cast('9999-12-31' as date) as valid_to,
        'accounts' as partner_source
    from ordered
    inner join accounts on ordered.account_id = accounts.account_id
    where ordered.position = ordered.assignments and ordered.valid_to < cast('9999-12-31' as date)

),

unassigned_accounts as (

    select
        accounts.account_id,
        accounts.partner_id,
        cast('1900-01-01' as date) as valid_from,
        cast('9999-12-31' as date) as valid_to,
        'accounts' as partner_source
    from accounts
    where accounts.account_id not in (select account_id from assignments) -- noqa: RF02

),

unioned as (

    select * from assigned
    union all
    select * from before_first
    union all
    select * from between_assignments
    union all
    select * from after_last
    union all
    select * from unassigned_accounts

),

final as (

    select
        account_id,
        partner_id,
        valid_from,
        valid_to,
        case when partner_id is null then 'direct' else partner_source end as partner_source
    from unioned
    where valid_from < valid_to

)

select * from final
