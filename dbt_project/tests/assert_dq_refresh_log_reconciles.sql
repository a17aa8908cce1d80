{#- Nothing is lost: for every landing table of this refresh, landed = staged + quarantined, and
    every landing table has its row. Returns the offending tables. -#}
{{ config(meta={'dagster': {'ref': {'name': 'dq_refresh_log'}}}) }}

with

log as (

    select * from {{ ref('dq_refresh_log') }}
    where refresh_week = {{ refresh_week() }}

),

expected_tables as (

    {% for source_name, table_name in landing_table_list() %}
    select '{{ table_name }}' as table_name
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

unreconciled as (

    select
        expected_tables.table_name,
        log.rows_landed,
        log.rows_staged,
        log.rows_quarantined
    from expected_tables
    left join log
        on expected_tables.table_name = log.table_name
    where log.table_name is null
        or log.rows_landed <> log.rows_staged + log.rows_quarantined

)

select * from unreconciled
