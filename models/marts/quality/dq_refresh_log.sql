{{
    config(
        materialized='incremental',
        incremental_strategy='replace_weeks',
        unique_key='refresh_week',
        partition_by=pp_week_partition('refresh_week'),
        on_schema_change=pp_contract_on_schema_change(),
    )
}}

{#- One row per refresh and landing table: rows landed = staged + quarantined (tested). -#}
with

loaded as (

    {% for source_name, table_name in landing_table_list() %}
    select
        '{{ table_name }}' as table_name,
        count(*) as rows_loaded
    from {{ source(source_name, table_name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

staged as (

    {% for source_name, table_name in landing_table_list() %}
    select
        '{{ table_name }}' as table_name,
        count(*) as rows_staged
    from {{ ref('stg_' ~ source_name ~ '__' ~ table_name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

malformed as (

    select
        table_name,
        count(*) as rows_malformed
    from {{ source('ingest', 'ingest_malformed_rows') }}
    group by table_name

),

quarantined as (

    select
        table_name,
        count(*) as rows_quarantined
    from {{ ref('int_landing_rows_rejected') }}
    group by table_name

),

ingest_report as (

    select * from {{ source('ingest', 'ingest_report') }}

),

final as (

    select
        {{ refresh_week() }} as refresh_week,
        loaded.table_name,
        cast(loaded.rows_loaded + coalesce(malformed.rows_malformed, 0) as bigint) as rows_landed,
        cast(staged.rows_staged as bigint) as rows_staged,
        cast(coalesce(quarantined.rows_quarantined, 0) as bigint) as rows_quarantined,
        cast(
            case
                when loaded.rows_loaded + coalesce(malformed.rows_malformed, 0) = 0 then 0
                else coalesce(quarantined.rows_quarantined, 0) * 1.0
                    / (loaded.rows_loaded + coalesce(malformed.rows_malformed, 0))
            end as {{ pp_type_double() }}
        ) as quarantine_share,
        ingest_report.source_files,
        ingest_report.extra_columns,
        coalesce(ingest_report.is_missing_optional, false) as is_missing_optional,
        cast(current_timestamp as timestamp) as refreshed_at
    from loaded
    inner join staged
        on loaded.table_name = staged.table_name
    left join malformed
        on loaded.table_name = malformed.table_name
    left join quarantined
        on loaded.table_name = quarantined.table_name
    left join ingest_report
        on loaded.table_name = ingest_report.table_name

)

select * from final
