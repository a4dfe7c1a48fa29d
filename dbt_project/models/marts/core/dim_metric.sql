-- The metric catalogue as analysts read it: what each metric means, which way is
-- better, who delivers it and where it comes from, and how the warehouse compares it
-- (the rules are macros in macros/rules/, shared with int_metric_rules).
select
    metric_id,
    metric_name,
    service_area,
    definition,
    unit,
    value_type,
    polarity,
    frequency,
    array_to_string(delivering_tiers, ', ') as delivering_tiers,
    is_required,
    numerator_definition,
    denominator_definition,
    scale,
    per_capita_basis,
    {{ normalised_unit('unit', 'value_type', 'per_capita_basis') }}                as normalised_unit,
    {{ metric_is_area_based('metric_id', 'source') }}                             as is_area_based,
    array_to_string(
        {{ regional_aggregate_tiers('delivering_tiers', metric_is_area_based('metric_id', 'source')) }}, ', '
    )                                                                             as regional_aggregate_tiers,
    lower_bound,
    upper_bound,
    source,
    reference
from {{ ref('stg_reference__metric_catalogue') }}
