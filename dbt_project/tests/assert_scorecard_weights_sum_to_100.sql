{#- The scorecard weights (seed scorecard_metrics) add up to 100%. -#}
{{ config(meta={'dagster': {'ref': {'name': 'scorecard_metrics'}}}) }}

select sum(weight_pct) as total_weight_pct
from {{ ref('scorecard_metrics') }}
having sum(weight_pct) <> 100
