{#- Rule: a council's quartile within its comparison group (mart_benchmark).

    Quartile within a group from the polarity rank (1 = best; ties share a rank):
    1 + floor(4 x (rank - 1) / group size), i.e. quartile 1 when fewer than a quarter of
    the group did better, 4 when at least three quarters did. Tied councils share it. -#}
{% macro quartile_from_rank(rank, group_size) -%}
    (case when {{ rank }} is not null and {{ group_size }} > 0
          then least(4, 1 + floor(4.0 * ({{ rank }} - 1) / {{ group_size }}))::integer end)
{%- endmacro %}
