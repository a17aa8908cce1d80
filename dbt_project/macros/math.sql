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

{#- Spark: the same integer arithmetic on decimal(38, 0) (Spark keeps a scale of 0 there; its
    division of decimals rounds to 6 places, so the quotient is taken after subtracting the
    remainder, which makes the division exact). The quotient has at most 26 digits, so its product
    with 10^-scale keeps every decimal. -#}
{% macro spark__pp_ratio(num, den, scale=10) -%}
    {%- set n = 'abs(cast(round(cast(' ~ num ~ ' as decimal(38, 10)) * 1000000, 0) as decimal(38, 0)))' -%}
    {%- set d = 'abs(cast(round(cast(' ~ den ~ ' as decimal(38, 10)) * 1000000, 0) as decimal(38, 0)))' -%}
    {%- set a = 'cast(' ~ n ~ ' * ' ~ 2 * 10 ** scale ~ ' + ' ~ d ~ ' as decimal(38, 0))' -%}
    {%- set b = 'cast(2 * ' ~ d ~ ' as decimal(38, 0))' -%}
    {%- set quotient = 'cast((' ~ a ~ ' - ' ~ a ~ ' % ' ~ b ~ ') / ' ~ b ~ ' as decimal(26, 0))' -%}
    {%- set unit = "cast('" ~ '%.*f' % (scale, 10 ** -scale) ~ "' as decimal(" ~ (scale + 1) ~ ", " ~ scale ~ "))" -%}
    cast(case
        when ({{ den }}) is null or ({{ den }}) = 0 or ({{ num }}) is null then null
        when (({{ num }}) < 0) = (({{ den }}) < 0) then {{ quotient }} * {{ unit }}
        else -({{ quotient }} * {{ unit }})
    end as decimal(38, {{ scale }}))
{%- endmacro %}

{#- The integers 1 … upper_bound as the column generated_number, like dbt.generate_series. On Spark
    one explode of a sequence: dbt's form cross-joins log2(upper_bound) two-row selects, which Spark
    plans and runs as as many nested-loop joins (seconds on a local session for 1,200 numbers). -#}
{% macro pp_series(upper_bound) -%}
    {{ return(adapter.dispatch('pp_series', 'partnerpulse')(upper_bound)) }}
{%- endmacro %}

{% macro default__pp_series(upper_bound) -%}
    {{ dbt.generate_series(upper_bound) }}
{%- endmacro %}

{% macro spark__pp_series(upper_bound) -%}
    select explode(sequence(1, {{ upper_bound }})) as generated_number
{%- endmacro %}

{#- An amount as the finance files pay it: rounded half away from zero to cents (csvsafe.to_cents
    rounds the same way), kept at the marts' money type. Used where an amount is compared with what
    was paid (the payout ledger's adjustments). -#}
{% macro pp_cents(amount) -%}
    cast(round(cast({{ amount }} as decimal(38, 6)), 2) as decimal(38, 6))
{%- endmacro %}
