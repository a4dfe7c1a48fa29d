{#- Rule: a value written as people read it in the marts' plain-English reasons, in step
    with the reports' format.value (reports/format.py). -#}

{#- A value as people read it in a sentence, in the metric's normalised unit with the
    catalogue unit's pound sign: '16.2%', '£69,437 per 1,000 residents', '0.91 days per FTE',
    '94.4 per 100,000', '412 kg'. The same digits and words as the reports' format.value
    (reports/format.py): 1 decimal for percentages, none from 1,000 (nor from 100 for
    counts and pounds), whole counts as they are, otherwise 2 below 10 and 1 above. -#}
{% macro readable_value(value, unit, normalised_unit) -%}
    (case
        when {{ value }} is null then 'no value'
        else
            case when round({{ value }}::numeric, {{ readable_digits(value, normalised_unit) }}) < 0 then '-' else '' end
            || case when {{ unit }} = 'gbp' then '£' else '' end
            || to_char(round(abs({{ value }}::numeric), {{ readable_digits(value, normalised_unit) }}),
                       'FM999,999,999,990' || case {{ readable_digits(value, normalised_unit) }}
                                                  when 0 then '' when 1 then '.0' else '.00' end)
            || case {{ normalised_unit }}
                   when 'percent' then '%'
                   when 'per_100k' then ' per 100,000'
                   when 'per_1000' then ' per 1,000'
                   when 'days' then ' days'
                   when 'weeks' then ' weeks'
                   when 'fte_days' then ' days per FTE'
                   when 'kg' then ' kg'
                   else case when {{ normalised_unit }} like 'per %' then ' ' || {{ normalised_unit }} else '' end
               end
    end)
{%- endmacro %}

{#- The decimals readable_value gives a value (see there). -#}
{% macro readable_digits(value, normalised_unit) -%}
    (case
        when {{ normalised_unit }} = 'percent' then 1
        when abs({{ value }}) >= 1000 then 0
        when abs({{ value }}) >= 100 then case when {{ normalised_unit }} in ('count', 'gbp') then 0 else 1 end
        when {{ normalised_unit }} = 'count' and {{ value }} = trunc({{ value }}) then 0
        when abs({{ value }}) < 10 then 2
        else 1
    end)
{%- endmacro %}
