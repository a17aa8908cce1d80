{#- trailing_window_aggregate: the facts of each scored account-week's trailing window, aggregated
    per week and account. The one home of the step the health and readiness measures repeat
    ("join a fact table to the account-weeks, keep the facts dated in the last N days up to D,
    group by week and account"); it renders

        select <account_weeks>.week_start, <account_weeks>.account_id, <aggregates>
        from <account_weeks>
        inner join <facts>
            on <account_weeks>.<join column> = <facts>.<join column> (each of join_columns)
            and <facts>.<fact_date> between <window start> and <account_weeks>.<anchor>
        group by <account_weeks>.week_start, <account_weeks>.account_id[, <group_by>]

    Account-weeks without a fact in the window get no row (callers left join and coalesce).

    account_weeks  name of the CTE of scored account-weeks (week_start, account_id and the anchor)
    facts          name of the CTE of facts (the join columns and fact_date); filter and join
                   the facts there (e.g. only executive contacts, only closed tickets)
    fact_date      the facts' date column
    aggregates     [(column name, SQL expression)], in output order; the expressions may use
                   both CTE names (e.g. a sum of a case on a shorter window inside the join)
    days           window length in days, the anchor day included: [anchor - (days - 1), anchor].
                   An integer, or a SQL expression (e.g. a configuration seed's column).
    weeks          instead of days, for weekly facts dated by their week's Monday: the `weeks`
                   ISO weeks ending with the scored week, [week_start - 7 x (weeks - 1), week_start]
    anchor         the account-week column the window ends on: as_of_date (D) by default,
                   week_start when `weeks` is given (or when asked for, e.g. a capacity window
                   counted in days back from the scored week's Monday)
    join_columns   the columns that match a fact to an account-week (default: account_id)
    group_by       further grouping expressions (e.g. the fact's own week, for a per-week series)

    Portable: the window start is dbt.dateadd, cast to a date.

    Cost: every account-week is paired with every fact of its window before grouping. Where that
    dominates (the 13-week trend, the 4-week API days, distinct features over 4 weeks, the latest /
    year-ago firmographics), the models use window frames over a dense weekly series (calendar:
    weeks_reached below), running sums of signed deltas, or validity intervals instead (issue 13). -#}
{% macro trailing_window_aggregate(account_weeks, facts, fact_date, aggregates, days=none, weeks=none,
                                   anchor=none, join_columns=['account_id'], group_by=[]) -%}
    {%- if (days is none) == (weeks is none) -%}
        {{ exceptions.raise_compiler_error(
            "trailing_window_aggregate(" ~ account_weeks ~ ", " ~ facts ~ "): give exactly one of days or weeks") }}
    {%- endif -%}
    {%- if weeks is not none -%}
        {%- set anchor = anchor or 'week_start' -%}
        {%- set offset = -7 * (weeks - 1) -%}
    {%- else -%}
        {%- set anchor = anchor or 'as_of_date' -%}
        {%- set offset = (1 - days) if days is number else '1 - ' ~ days -%}
    {%- endif %}
    select
        {{ account_weeks }}.week_start,
        {{ account_weeks }}.account_id,
        {%- for name, expression in aggregates %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ account_weeks }}
    inner join {{ facts }}
        on
        {%- for column in join_columns %}
        {{ account_weeks }}.{{ column }} = {{ facts }}.{{ column }} and
        {%- endfor %}
        {{ facts }}.{{ fact_date }} between cast({{ dbt.dateadd('day', offset, account_weeks ~ '.' ~ anchor) }} as date)
            and {{ account_weeks }}.{{ anchor }}
    group by {{ account_weeks }}.week_start, {{ account_weeks }}.account_id
    {%- for expression in group_by %}, {{ expression }}{% endfor %}
{%- endmacro %}

{#- weeks_reached: the distinct Mondays of the `weeks` ISO weeks ending with each week_start of
    `account_weeks` (a CTE name), i.e. the calendar a dense weekly series needs so that a window
    frame of `rows between weeks - 1 preceding` (or lag(…, j), j < weeks) behind any of those weeks
    reads exactly the weeks [week_start - 7 x (weeks - 1), week_start]. Renders a union (distinct). -#}
{% macro weeks_reached(account_weeks, weeks) -%}
    {%- for weeks_back in range(weeks) %}
    select cast({{ dbt.dateadd('day', -7 * weeks_back, 'week_start') }} as date) as week_start
    from {{ account_weeks }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
