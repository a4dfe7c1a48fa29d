{#- Rule: periods and financial years in words, as the marts' sentences and labels write
    them (the financial year runs from April). -#}

{#- A number of periods of a frequency in words: (1, 'monthly') -> '1 month',
    (4, 'quarterly') -> '4 quarters'. -#}
{% macro period_count(n, frequency) -%}
    (({{ n }})::text || ' ' || case {{ frequency }}
        when 'monthly' then 'month' when 'quarterly' then 'quarter' else 'year' end
     || case when {{ n }} = 1 then '' else 's' end)
{%- endmacro %}

{#- The financial year starting in April of the given year, as YYYY-YY (2025 -> 2025-26). -#}
{% macro fy_label(start_year) -%}
    (({{ start_year }})::text || '-' || lpad((((({{ start_year }}) + 1) % 100))::text, 2, '0'))
{%- endmacro %}

{#- The first day of a spend file's period: 'YYYY-MM' (a monthly publisher) or 'YYYY-Qn'
    (a quarterly one; calendar quarters, so a quarter never straddles April). -#}
{% macro spend_period_start(period) -%}
    (case
        when ({{ period }}) ~ '^\d{4}-Q[1-4]$'
            then make_date(left({{ period }}, 4)::integer, (right({{ period }}, 1)::integer - 1) * 3 + 1, 1)
        else to_date(({{ period }}) || '-01', 'YYYY-MM-DD')
    end)
{%- endmacro %}

{#- The financial year (YYYY-YY) a spend period falls in, from its first day. -#}
{% macro spend_financial_year(period) -%}
    {{ fy_label("extract(year from " ~ spend_period_start(period) ~ " - interval '3 months')::integer") }}
{%- endmacro %}
