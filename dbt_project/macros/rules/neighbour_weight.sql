{#- Rule: the weight of one feature of the nearest-neighbour model, from
    var('neighbour_weights') (population, share_16_64, claimant_rate, deprivation, density),
    as a SQL number. The weight multiplies the feature's squared z-score difference, so a
    weight of 2 counts the feature twice in the squared distance and 0 leaves it out.

    Every feature must be given and none may be negative: a --vars override replaces the
    whole mapping, and a feature left out would otherwise drop out of the model unnoticed.
    (The check needs dbt's `execute`; sqlfluff renders without it, and its var() stub
    gives a number, used as every weight.) -#}
{% macro neighbour_weight(feature) -%}
    {%- set weights = var('neighbour_weights') -%}
    {%- if execute is defined and (weights is not mapping or feature not in weights
                                   or (weights[feature] | float) < 0) -%}
        {{ exceptions.raise_compiler_error(
            "var('neighbour_weights') must give every feature of the nearest-neighbour model "
            ~ "(population, share_16_64, claimant_rate, deprivation, density) a weight of 0 or more; "
            ~ feature ~ " is missing or negative in " ~ weights) }}
    {%- endif -%}
    {{- (weights[feature] if weights is mapping else weights) | float -}}
{%- endmacro %}
