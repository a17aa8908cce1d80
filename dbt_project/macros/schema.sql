{#- Custom schemas are used as-is (staging, intermediate, marts, config), not prefixed with the
    target schema, so BI tools always read `marts.<table>`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
