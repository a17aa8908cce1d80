{#- Exact decimal ratio num / den rounded half away from zero to `scale` places; null when den
    is 0 or null. DuckDB divides decimals as doubles, so the DuckDB version works on scaled
    128-bit integers (inputs with at most 6 decimals, as every amount in the marts has). -#}
{% macro pp_ratio(num, den, scale=10) -%}
    {{ return(adapter.dispatch('pp_ratio', 'partnerpulse')(num, den, scale)) }}
{%- endmacro %}

{% macro duckdb__pp_ratio(num, den, scale=10) -%}
    case
        when ({{ den }}) is null or ({{ den }}) = 0 or ({{ num }}) is null then null
        else
            sign({{ num }}) * sign({{ den }})
            * cast(
                (abs(cast(round(({{ num }}) * 1000000, 0) as hugeint)) * {{ 10 ** scale }} * 2
                    + abs(cast(round(({{ den }}) * 1000000, 0) as hugeint)))
                // (2 * abs(cast(round(({{ den }}) * 1000000, 0) as hugeint)))
                as decimal(38, 0)
            ) * cast('{{ '%.*f' % (scale, 10 ** -scale) }}' as decimal({{ scale + 1 }}, {{ scale }}))
    end
{%- endmacro %}

{#- PostgreSQL: the same arithmetic on numeric (exact), div() being the integer quotient. -#}
{% macro postgres__pp_ratio(num, den, scale=10) -%}
    case
        when ({{ den }}) is null or ({{ den }}) = 0 or ({{ num }}) is null then null
        else
            sign(cast({{ num }} as numeric)) * sign(cast({{ den }} as numeric))
            * div(
                abs(round(cast({{ num }} as numeric) * 1000000, 0)) * {{ 10 ** scale }} * 2
                    + abs(round(cast({{ den }} as numeric) * 1000000, 0)),
                2 * abs(round(cast({{ den }} as numeric) * 1000000, 0))
            ) * cast('{{ '%.*f' % (scale, 10 ** -scale) }}' as decimal({{ scale + 1 }}, {{ scale }}))
    end
{%- endmacro %}
