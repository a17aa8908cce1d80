{#- The weeks scored in this run (see macros/weeks.sql): the weeks written to the weekly marts
    (is_target) and the weeks 1 and 4 before them, each with its as-of date D (the Sunday). -#}
with

weeks as (

    {{ scoring_weeks_sql() }}

),

final as (

    select
        week_start,
        as_of_date,
        is_target
    from weeks

)

select * from final
