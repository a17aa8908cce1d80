{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='refresh_week',
        partition_by=pp_week_partition('refresh_week'),
        on_schema_change=pp_contract_on_schema_change(),
        pre_hook="{% if is_incremental() and target.type != 'spark' %}update {{ this }} set raw_record = null where reason_code = 'malformed_row' and raw_record is not null{% endif %}",
    )
}}

{#- Appends this refresh's rejected rows; re-running a week replaces that week's rows. Earlier
    versions kept a malformed CSV line's text in raw_record, which can hold columns outside the
    contract (names, emails): the pre-hook clears it in the weeks already stored. -#}
with

rejected as (

    select * from {{ ref('int_landing_rows_rejected') }}

),

final as (

    select
        {{ refresh_week() }} as refresh_week,
        table_name,
        record_key,
        reason_code,
        reason,
        source_file,
        source_row,
        raw_record
    from rejected

)

select * from final
