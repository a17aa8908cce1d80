{#- The accepted values of one attribute of a campaign are alternatives: they share one rule_order (the
    attribute's place in the audience reason). Returns the attributes with more than one. -#}
{{ config(meta={'dagster': {'ref': {'name': 'campaign_audience_rules'}}}) }}

with

rules as (

    select * from {{ ref('campaign_audience_rules') }}

),

final as (

    select
        campaign,
        attribute,
        count(distinct rule_order) as rule_orders
    from rules
    group by campaign, attribute
    having count(distinct rule_order) > 1

)

select * from final
