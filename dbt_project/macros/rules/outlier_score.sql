{#- Rule: how far a council's value is from its group (mart_benchmark's outlier score).

    Robust outlier score: signed distance from the group median in median absolute
    deviations (MAD). When MAD is 0 (at least half the group share the median value), a
    value at the median scores 0 and any other is measured in mean absolute deviations
    around the median scaled to MAD-equivalents (x 0.8453, their ratio for normal data),
    so it is still scored rather than infinite. -#}
{% macro outlier_score(value, median, mad, mean_abs_dev) -%}
    (case
        when {{ value }} is null or {{ median }} is null then null
        when {{ mad }} > 0 then ({{ value }} - {{ median }}) / {{ mad }}
        when {{ value }} = {{ median }} then 0
        when {{ mean_abs_dev }} > 0 then ({{ value }} - {{ median }}) / (0.8453 * {{ mean_abs_dev }})
    end)
{%- endmacro %}
