{#- The refresh window of this run (decision 17), as the orchestrator wrote it. -#}
with

source as (

    select * from {{ source('ops', 'refresh_window') }}

),

final as (

    select
        week_start,
        as_of_date,
        is_target,
        is_partition
    from source

)

select * from final
