-- The metric catalogue as analysts read it: what each metric means, which way is
-- better, who delivers it and where it comes from.
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
    lower_bound,
    upper_bound,
    source,
    reference
from {{ ref('stg_reference__metric_catalogue') }}
