{#- Rule: a comparison group too small to compare publishes no rank and no quartile
    (mart_benchmark).

    A group is ranked when at least var('min_group_size') councils in it have a value for
    the metric and period (COUNCILBENCH_MIN_GROUP_SIZE, 4 unless set); in a smaller group
    a council's rank and quartile are null and not_ranked_reason says 'group_too_small'.
    Everything else (group size, median, position by value, outlier score) is still
    published: it describes the group without calling anyone best or worst. -#}
{% macro group_is_ranked(group_size) -%}
    ({{ group_size }} >= {{ var('min_group_size') | int }})
{%- endmacro %}

{#- 'group_too_small' when the group is too small to rank, else null. -#}
{% macro not_ranked_reason(group_size) -%}
    (case when not {{ group_is_ranked(group_size) }} then 'group_too_small' end)
{%- endmacro %}
