{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

{#- A weekly snapshot of every partner's tier, so a tier change applies from the week it happened
    (SPEC §8: the tier of record on the date a payout is earned). The landing data only holds the
    current tier: each refresh records it for its week, and weeks already recorded are never
    rewritten (a backfill keeps the tier seen back then). The first build records the current
    tier for every week of the history, the best that is known. -#}
with

partners as (

    select * from {{ ref('stg_crm__partners') }}

),

weeks as (

    select week_start from {{ ref('stg_ops__refresh_window') }}

),

candidates as (

    select
        weeks.week_start,
        partners.partner_id,
        partners.partner_tier
    from weeks
    cross join partners

),

final as (

    select
        candidates.week_start,
        candidates.partner_id,
        candidates.partner_tier
    from candidates
    {% if is_incremental() %}
    where
        not exists (
            select 1
            from {{ this }} as recorded
            where recorded.week_start = candidates.week_start
                and recorded.partner_id = candidates.partner_id
        )
    {% endif %}

)

select * from final
