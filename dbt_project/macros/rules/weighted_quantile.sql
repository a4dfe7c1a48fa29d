{#- Rule: an FTE-weighted quantile (the pay statistics: models/pay, models/marts/pay).

    The p-quantile of salaries weighted by FTE is the lowest salary at which the posts
    paid that salary or less hold at least p of the total weight: the inverse of the
    weighted distribution function, with no interpolation (so the median of one
    full-time post at £30,000 and one at £40,000 is £30,000, and a post's weight is
    fte × headcount, its full-time equivalents).

    An aggregate over rows that carry `cumulative` (the weight of the rows with a salary
    up to and including theirs: sum(weight) over (partition ... order by salary), whose
    default RANGE frame gives tied salaries the same total) and `total` (the partition's
    weight). Numeric throughout, so p × total is exact and a boundary is never missed by
    a rounding error. -#}
{% macro weighted_quantile(p, value='salary', cumulative='cumulative_weight', total='total_weight') -%}
    min({{ value }}) filter (where {{ cumulative }} >= {{ p }} * {{ total }})
{%- endmacro %}
