{#- Campaign audiences (SPEC §7.5, playbook §09) for every scored account and week. The seed
    campaign_audience_rules lists, per campaign, the attributes an account must have and their
    accepted values: an account joins a campaign's audience when every listed attribute has one
    of its accepted values (values of one attribute are alternatives). Attributes: the health
    category and the feature adoption, license utilization and training completion levels of the
    scorecard, the lifecycle phase, and business_signals (present when at least one business
    signal B1-B6 fired). The reason lists the matched attributes in rule order. -#}
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

    select
        attributes.week_start,
        attributes.as_of_date,
        attributes.account_id,
        attributes.partner_id,
        rules.campaign,
        rules.rule_order,
        rules.attribute,
        rules.reason_label,
        case rules.attribute
            when 'health_category' then attributes.health_category
            when 'feature_adoption_level' then attributes.feature_adoption_level
            when 'license_utilization_level' then attributes.license_utilization_level
            when 'training_completion_level' then attributes.training_completion_level
            when 'lifecycle_phase' then attributes.lifecycle_phase
            when 'business_signals' then attributes.business_signals
        end = rules.attribute_value as is_match,
        case rules.attribute
            when 'business_signals' then attributes.business_signal_codes
            else rules.attribute_value
        end as shown_value
    from attributes
    cross join rules

),

required as (

    select
        campaign,
        count(distinct attribute) as attributes_required
    from rules
    group by campaign

),

matched as (

    select
        week_start,
        as_of_date,
        account_id,
        partner_id,
        campaign,
        count(distinct attribute) as attributes_matched,
        {{ dbt.listagg("reason_label || ' ' || shown_value", "'; '", 'order by rule_order, attribute') }} as reason
    from checked
    where is_match
    group by week_start, as_of_date, account_id, partner_id, campaign

),

final as (

    select
        matched.week_start,
        matched.as_of_date,
        matched.account_id,
        matched.partner_id,
        matched.campaign,
        matched.reason
    from matched
    inner join required
        on matched.campaign = required.campaign
        and matched.attributes_matched = required.attributes_required

)

select * from final
