{#- Every landed row that did not make it into staging, with its reason and the row as landed
    (the contract's columns only, as JSON text). A malformed CSV line (wrong number of fields) has
    no raw_record: its values cannot be matched to columns safely (a missing or extra field shifts
    them, so a column outside the contract, such as an email, could land under a contract column);
    its reason names the field counts and source_file / source_row point at the line in the landing
    file (SPEC §9). -#}
with

{% for source_name, table_name in landing_table_list() %}
rejected_{{ table_name }} as (

    select
        '{{ table_name }}' as table_name,
        rejected._record_key as record_key,
        rejected._reject_code as reason_code,
        rejected._reject_reason as reason,
        rejected._source_file as source_file,
        rejected._source_row as source_row,
        {{ pp_json_object('landed', landing_column_names(source_name, table_name)) }} as raw_record
    from {{ ref('base_' ~ source_name ~ '__' ~ table_name) }} as rejected
    inner join {{ source(source_name, table_name) }} as landed
        on rejected._ingest_seq = landed._ingest_seq
    where rejected._reject_code is not null

),

{% endfor %}
malformed as (

    select
        table_name,
        '' as record_key,
        'malformed_row' as reason_code,
        reason,
        source_file,
        source_row,
        cast(null as {{ dbt.type_string() }}) as raw_record
    from {{ source('ingest', 'ingest_malformed_rows') }} as malformed_rows -- noqa: AL05

),

unioned as (

    {% for source_name, table_name in landing_table_list() %}
    select * from rejected_{{ table_name }}
    union all
    {% endfor %}
    select * from malformed

)

select * from unioned
