{#- Fails with the rows for which `expression` is not true (no dbt_utils here). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ expression }}) or ({{ expression }}) is null

{% endtest %}
