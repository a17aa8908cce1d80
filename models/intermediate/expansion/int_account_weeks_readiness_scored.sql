{#- The expansion readiness score (SPEC §6, playbook skill 004) of every scored account and week: 13 sub-metrics
    scored by the seeds — readiness_bands for the measured values (banded_metrics, as (metric, measured column);
    their bands and missing-value levels are one row, bands: macros/bands.sql), readiness_levels for the categorical
    ones (support trend, executive sponsorship, funding event) — summed into five components, the score (0-100)
    and the priority (seed readiness_priorities). -#}
{%- set banded_metrics = [
    ('adoption_rate', 'adoption_rate'), ('usage_frequency', 'usage_frequency'),
    ('feature_breadth', 'feature_breadth'), ('nps', 'nps_mean_180d'), ('csat', 'csat_180d'),
    ('employee_growth', 'employee_growth'), ('open_job_postings', 'open_job_postings'),
    ('engaged_stakeholders', 'engaged_stakeholders_90d'), ('arr_vs_segment', 'arr_vs_segment'),
    ('lines_not_owned', 'lines_not_owned')] %}

with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

catalogue as (

    select * from {{ ref('int_account_weeks_catalogue_compared') }}

),

bands as (

    {{ band_slots(ref('readiness_bands'), banded_metrics, ['points', 'level'], ref('readiness_levels')) }}

),

levels as (

    select * from {{ ref('readiness_levels') }}

),

priorities as (

    select * from {{ ref('readiness_priorities') }}

),

segment_arr as (

    select
        week_start,
        segment,
        count(*) as segment_accounts,  -- the active accounts (ARR > 0 at D) of the segment and week
        sum(arr_usd) as segment_arr_usd
    from measured
    group by week_start, segment

),

inputs as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        measured.segment,
        measured.arr_usd,
        measured.max_product_monthly_active_users,
        measured.employee_count,
        case
            when measured.employee_count > 0
                then {{ pp_ratio('measured.max_product_monthly_active_users', 'measured.employee_count') }}
        end as adoption_rate,
        measured.usage_frequency,
        measured.feature_breadth,
        measured.nps_mean_180d,
        measured.nps_responses_180d,
        measured.csat_180d,
        measured.csat_responses_180d,
        scored.support_trend_level,
        measured.employee_growth,
        case
            when measured.funding_round_365d > 0 then 'funding_round'
            when measured.revenue_growth_announcement_365d > 0 then 'revenue_growth_announcement'
            else 'none'
        end as funding_event,
        measured.open_job_postings,
        measured.engaged_stakeholders_90d,
        scored.executive_sponsorship_level,
        cast({{ pp_ratio('segment_arr.segment_arr_usd', 'segment_arr.segment_accounts', 6) }} as decimal(38, 6))
            as segment_mean_arr_usd,
        {#- account ARR / segment mean = ARR x accounts / segment ARR, exactly #}
        {{ pp_ratio('measured.arr_usd * segment_arr.segment_accounts', 'segment_arr.segment_arr_usd') }}
            as arr_vs_segment,
        cast(coalesce(catalogue.lines_not_owned, 0) as bigint) as lines_not_owned,
        scored.health_category
    from measured
    inner join scored
        on measured.week_start = scored.week_start
        and measured.account_id = scored.account_id
    inner join segment_arr
        on measured.week_start = segment_arr.week_start
        and measured.segment = segment_arr.segment
    left join catalogue
        on measured.week_start = catalogue.week_start
        and measured.account_id = catalogue.account_id

),

band_numbers as (

    {{ band_numbers('inputs', 'bands', banded_metrics) }}

),

banded as (

    select
        band_numbers.*,
        {%- for metric, value in banded_metrics %}
        {{ band_column(metric, 'points', missing_value='band_numbers.' ~ value) }} as {{ metric }}_points,
        {{ band_column(metric, 'level', missing_value='band_numbers.' ~ value) }} as {{ metric }}_level,
        {%- endfor %}
        support_trend.points as support_trend_points,
        funding.points as funding_points,
        funding.level_text as funding_level,
        executive_sponsor.points as executive_sponsor_points
    from band_numbers
    cross join bands
    left join levels as support_trend
        on support_trend.metric = 'support_trend'
        and band_numbers.support_trend_level = support_trend.level
    left join levels as funding
        on funding.metric = 'funding'
        and band_numbers.funding_event = funding.level
    left join levels as executive_sponsor
        on executive_sponsor.metric = 'executive_sponsor'
        and band_numbers.executive_sponsorship_level = executive_sponsor.level

),

components as (

    select
        *,
        adoption_rate_points + usage_frequency_points + feature_breadth_points as product_usage_points,
        nps_points + csat_points + support_trend_points as satisfaction_points,
        employee_growth_points + funding_points + open_job_postings_points as growth_points,
        engaged_stakeholders_points + executive_sponsor_points as relationship_points,
        arr_vs_segment_points + lines_not_owned_points as expansion_potential_points
    from banded

),

totals as (

    select
        *,
        product_usage_points + satisfaction_points + growth_points + relationship_points
        + expansion_potential_points as readiness_score
    from components

),

final as (

    select
        totals.week_start,
        totals.as_of_date,
        totals.account_id,
        totals.partner_id,
        totals.segment,
        totals.health_category,
        totals.arr_usd,
        cast(totals.max_product_monthly_active_users as bigint) as max_product_monthly_active_users,
        cast(totals.employee_count as bigint) as employee_count,
        totals.adoption_rate,
        cast(totals.adoption_rate_points as integer) as adoption_rate_points,
        totals.adoption_rate_level,
        totals.usage_frequency,
        cast(totals.usage_frequency_points as integer) as usage_frequency_points,
        totals.usage_frequency_level,
        totals.feature_breadth,
        cast(totals.feature_breadth_points as integer) as feature_breadth_points,
        totals.feature_breadth_level,
        totals.nps_mean_180d,
        cast(totals.nps_responses_180d as bigint) as nps_responses_180d,
        cast(totals.nps_points as integer) as nps_points,
        totals.nps_level,
        totals.csat_180d,
        cast(totals.csat_responses_180d as bigint) as csat_responses_180d,
        cast(totals.csat_points as integer) as csat_points,
        totals.csat_level,
        totals.support_trend_level,
        cast(totals.support_trend_points as integer) as support_trend_points,
        totals.employee_growth,
        cast(totals.employee_growth_points as integer) as employee_growth_points,
        totals.employee_growth_level,
        totals.funding_event,
        cast(totals.funding_points as integer) as funding_points,
        totals.funding_level,
        cast(totals.open_job_postings as bigint) as open_job_postings,
        cast(totals.open_job_postings_points as integer) as open_job_postings_points,
        totals.open_job_postings_level,
        cast(totals.engaged_stakeholders_90d as bigint) as engaged_stakeholders_90d,
        cast(totals.engaged_stakeholders_points as integer) as engaged_stakeholders_points,
        totals.engaged_stakeholders_level,
        totals.executive_sponsorship_level,
        cast(totals.executive_sponsor_points as integer) as executive_sponsor_points,
        totals.segment_mean_arr_usd,
        totals.arr_vs_segment,
        cast(totals.arr_vs_segment_points as integer) as arr_vs_segment_points,
        totals.arr_vs_segment_level,
        totals.lines_not_owned,
        cast(totals.lines_not_owned_points as integer) as lines_not_owned_points,
        totals.lines_not_owned_level,
        cast(totals.product_usage_points as integer) as product_usage_points,
        cast(totals.satisfaction_points as integer) as satisfaction_points,
        cast(totals.growth_points as integer) as growth_points,
        cast(totals.relationship_points as integer) as relationship_points,
        cast(totals.expansion_potential_points as integer) as expansion_potential_points,
        cast(totals.readiness_score as integer) as readiness_score,
        priorities.expansion_priority,
        priorities.sort_order as expansion_priority_rank,
        priorities.action as expansion_priority_action
    from totals
    left join priorities
        on totals.readiness_score between priorities.min_score and priorities.max_score

)

select * from final
