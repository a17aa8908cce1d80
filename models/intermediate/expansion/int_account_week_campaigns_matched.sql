{#- Campaign audiences (SPEC §7.5, playbook §09) for every scored account and week. The seed
    campaign_audience_rules lists, per campaign, the attributes an account must have and their
    accepted values: an account joins a campaign's audience when every listed attribute has one
    of its accepted values (values of one attribute are alternatives). Attributes: the health
    category and the feature adoption, license utilization and training completion levels of the
    scorecard, the lifecycle phase, and business_signals (present when at least one business
    signal B1-B6 fired). The reason lists the matched attributes in rule order. -#}
{%- set attributes = ['health_category', 'feature_adoption_level', 'license_utilization_level',
    'training_completion_level', 'lifecycle_phase', 'business_signals'] %}

with

measured as (

    select * from {{ ref('int_account_weeks_measured') }}

),

scored as (

    select * from {{ ref('int_account_weeks_scored') }}

),

alignment as (

    select * from {{ ref('int_account_weeks_signals_aligned') }}

),

rules as (

    select * from {{ ref('campaign_audience_rules') }}

),

attributes as (

    select
        measured.week_start,
        measured.as_of_date,
        measured.account_id,
        measured.partner_id,
        scored.health_category,
        scored.feature_adoption_level,
        scored.license_utilization_level,
        scored.training_completion_level,
        measured.lifecycle_phase,
        case when alignment.business_signals > 0 then 'present' else 'none' end as business_signals,
        alignment.business_signal_codes
    from measured
    inner join scored
        on measured.week_start = scored.week_start
        and measured.account_id = scored.account_id
    inner join alignment
        on measured.week_start = alignment.week_start
        and measured.account_id = alignment.account_id

),

checked as (

    {#- one row per account-week and rule its attribute value matches: an account has one value per
        attribute, and the rules are unique on (campaign, attribute, attribute_value), so each matched
        attribute of a campaign appears at most once -#}
    select
        attributes.week_start,
        attributes.account_id,
        rules.campaign,
        rules.attribute,
        rules.reason_label || ' ' || case rules.attribute
            when 'business_signals' then attributes.business_signal_codes
            else rules.attribute_value
        end as reason_part
    from attributes
    inner join rules
        on case rules.attribute
            {%- for attribute in attributes %}
            when '{{ attribute }}' then attributes.{{ attribute }}
            {%- endfor %}
        end = rules.attribute_value

),

positioned as (

    {#- where each attribute goes in a campaign's reason: rule order, then attribute name -#}
    select
        campaign,
        attribute,
        dense_rank() over (partition by campaign order by min(rule_order), attribute) as reason_position
    from rules
    group by campaign, attribute

),

required as (

    select
        campaign,
        count(*) as attributes_required
    from positioned
    group by campaign

),

matched as (

    {#- plain aggregates (no distinct, no ordered string aggregation: at 200,000 accounts those spilled
        tens of GB); the reason is assembled from its at most {{ attributes | length }} parts in place -#}
    select
        checked.week_start,
        checked.account_id,
        checked.campaign,
        {%- for position in range(1, attributes | length + 1) %}
        max(case when positioned.reason_position = {{ position }} then checked.reason_part end) as part_{{ position }},
        {%- endfor %}
        count(*) as attributes_matched
    from checked
    inner join positioned
        on checked.campaign = positioned.campaign
        and checked.attribute = positioned.attribute
    group by checked.week_start, checked.account_id, checked.campaign

),

final as (

    select
        matched.week_start,
        attributes.as_of_date,
        matched.account_id,
        attributes.partner_id,
        matched.campaign,
        concat_ws(
            '; '
            {%- for position in range(1, attributes | length + 1) %},
            matched.part_{{ position }}
            {%- endfor %}
        ) as reason
    from matched
    inner join required
        on matched.campaign = required.campaign
        and matched.attributes_matched = required.attributes_required
    inner join attributes
        on matched.week_start = attributes.week_start
        and matched.account_id = attributes.account_id

)

select * from final
