{#- The good practice library: a case study's figures before and after, as people read
    them: '3.5 -> 10.7 defects per gang per day', '19.5% -> 4.1%', '£0 -> £100,000 a year'.
    The unit (case_studies/schema.json) is '%' for a percentage, starts with '£' for
    money, or is words written after the figures. -#}
{% macro case_study_outcome_text(before_value, after_value, unit) -%}
    (case
        when {{ unit }} = '%'
            then {{ case_study_number(before_value) }} || '% -> ' || {{ case_study_number(after_value) }} || '%'
        when {{ unit }} like '£%'
            then '£' || {{ case_study_number(before_value) }} || ' -> £' || {{ case_study_number(after_value) }}
                 || rtrim(' ' || ltrim(substr({{ unit }}, 2)))
        else {{ case_study_number(before_value) }} || ' -> ' || {{ case_study_number(after_value) }} || ' ' || {{ unit }}
    end)
{%- endmacro %}

{#- A case study's figure with the digits it was written with and thousands separated:
    3.5, 10.7, 100,000 (to_char's FM drops trailing zeros and leaves a bare point on whole
    numbers, which goes). -#}
{% macro case_study_number(value) -%}
    rtrim(to_char({{ value }}, 'FM999,999,999,990.999999'), '.')
{%- endmacro %}
