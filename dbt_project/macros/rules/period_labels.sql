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
