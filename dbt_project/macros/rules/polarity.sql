{#- Rule: better or worse, read through the metric's polarity (higher_is_better,
    lower_is_better, context): one value against another, the direction of travel from
    a previous value, and the direction of a trend. Used by the benchmarking and region
    marts. -#}

{#- 'better', 'worse' or 'same' for value a against value b; null for context metrics or
    when either is missing. -#}
{% macro compare_by_polarity(a, b, polarity) -%}
    (case
        when {{ polarity }} = 'context' or {{ a }} is null or {{ b }} is null then null
        when {{ a }} = {{ b }} then 'same'
        when ({{ a }} > {{ b }}) = ({{ polarity }} = 'higher_is_better') then 'better'
        else 'worse'
    end)
{%- endmacro %}

{#- Direction of travel from a previous value to the current one: improving, worsening,
    no change, or not comparable (no previous value, or a context metric, which has no
    better or worse). -#}
{% macro direction_of_travel(current, previous, polarity) -%}
    (case
        when {{ polarity }} = 'context' or {{ current }} is null or {{ previous }} is null then 'not comparable'
        when {{ current }} = {{ previous }} then 'no change'
        when ({{ current }} > {{ previous }}) = ({{ polarity }} = 'higher_is_better') then 'improving'
        else 'worsening'
    end)
{%- endmacro %}

{#- A least-squares slope as published: 8 decimals. regr_slope works in floating point,
    so a series that never moves can come out as -1.6e-17, not 0; its direction is read
    from this figure, so a flat series is 'no change', as its published slope says. -#}
{% macro published_slope(slope) -%}
    round(({{ slope }})::numeric, 8)
{%- endmacro %}

{#- Direction of a least-squares trend: the sign of its published slope read with the
    polarity; not comparable with fewer than var('trend_min_periods') periods. -#}
{% macro trend_direction(slope, periods, polarity) -%}
    (case
        when {{ polarity }} = 'context' or {{ slope }} is null or {{ periods }} < {{ var('trend_min_periods') }} then 'not comparable'
        when {{ published_slope(slope) }} = 0 then 'no change'
        when ({{ published_slope(slope) }} > 0) = ({{ polarity }} = 'higher_is_better') then 'improving'
        else 'worsening'
    end)
{%- endmacro %}
