{#- Fails with the rows for which `expression` is not true (no dbt_utils here). On a column, the
    expression is appended to the column name, e.g. expression: "between 0 and 16". -#}
{% test expression_is_true(model, expression, column_name=none) %}

{%- set condition = (column_name ~ ' ' ~ expression) if column_name else expression -%}
select *
from {{ model }}
where not ({{ condition }}) or ({{ condition }}) is null

{% endtest %}
