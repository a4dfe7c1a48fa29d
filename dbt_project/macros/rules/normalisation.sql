{#- Rule: how a metric is normalised before councils are compared (per 1,000 of a
    population, or as reported), its scale and its unit. Used by dim_metric and
    int_metric_rules. -#}

{#- Counts and amounts with a per-capita basis are compared per 1,000 of that population;
    everything else is compared as reported. -#}
{% macro is_per_capita(value_type, per_capita_basis) -%}
    ({{ value_type }} in ('count', 'amount') and {{ per_capita_basis }} is not null)
{%- endmacro %}

{% macro normalised_scale(value_type, per_capita_basis, scale) -%}
    (case when {{ is_per_capita(value_type, per_capita_basis) }} then 1000::numeric else {{ scale }} end)
{%- endmacro %}

{% macro normalised_unit(unit, value_type, per_capita_basis) -%}
    (case
        when {{ is_per_capita(value_type, per_capita_basis) }} and {{ per_capita_basis }} = 'population_16_64'
            then 'per 1,000 residents aged 16-64'
        when {{ is_per_capita(value_type, per_capita_basis) }}
            then 'per 1,000 residents'
        else {{ unit }}
    end)
{%- endmacro %}
