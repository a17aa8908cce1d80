{#- The partner of record of every account as non-overlapping intervals [valid_from, valid_to)
    covering all time (SPEC §2): on a day that partner_assignments rows cover, the covering row that
    started last (so a shorter assignment inside an open one holds for its own dates, and the open
    one again after it ends); accounts.partner_id on every day no row covers (null = direct).
    The intervals are cut at every assignment's start and end (decision 156): consecutive intervals
    may have the same partner. Look a day up with: valid_from <= day and day < valid_to. -#}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

assignments as (

    select * from {{ ref('stg_crm__partner_assignments') }}

),

spans as (

    select
        account_id,
        partner_id,
        valid_from,
        coalesce(valid_to, cast('9999-12-31' as date)) as valid_to
    from assignments

),

boundaries as (

    {%- for boundary in ['valid_from', 'valid_to', "cast('1900-01-01' as date)", "cast('9999-12-31' as date)"] %}
    select
        account_id,
        {{ boundary }} as boundary
    from spans
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}

),

pieces as (

    select
        account_id,
        boundary as valid_from,
        lead(boundary) over (partition by account_id order by boundary) as valid_to
    from boundaries

),

covered as (

    select
        pieces.account_id,
        pieces.valid_from,
        spans.partner_id,
        row_number() over (
            partition by pieces.account_id, pieces.valid_from order by spans.valid_from desc
        ) as recency
    from pieces
    inner join spans
        on pieces.account_id = spans.account_id
        and spans.valid_from <= pieces.valid_from
        and spans.valid_to > pieces.valid_from
    where pieces.valid_to is not null

),

assigned_accounts as (

    select
        pieces.account_id,
        pieces.valid_from,
        pieces.valid_to,
        case when covered.account_id is null then accounts.partner_id else covered.partner_id end as partner_id,
        case when covered.account_id is null then 'accounts' else 'partner_assignments' end as partner_source,
        (covered.account_id is not null or accounts.account_id is not null) as is_known
    from pieces
    left join covered
        on pieces.account_id = covered.account_id
        and pieces.valid_from = covered.valid_from
        and covered.recency = 1
    left join accounts
        on pieces.account_id = accounts.account_id
    where pieces.valid_to is not null

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

    select
        account_id,
        partner_id,
        valid_from,
        valid_to,
        partner_source
    from assigned_accounts
    where is_known
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
