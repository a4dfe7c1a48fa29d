-- The metric catalogue, typed; delivering tiers as an array for membership tests.
select
    metric_id::text                         as metric_id,
    metric_name::text                       as metric_name,
    service_area::text                      as service_area,
    definition::text                        as definition,
    unit::text                              as unit,
    value_type::text                        as value_type,
    polarity::text                          as polarity,
    frequency::text                         as frequency,
    string_to_array(delivering_tiers::text, '|') as delivering_tiers,
    (required::text = 'yes')                as is_required,
    nullif(numerator::text, '')             as numerator_definition,
    nullif(denominator::text, '')           as denominator_definition,
    scale::numeric                          as scale,
    nullif(per_capita_basis::text, 'none')  as per_capita_basis,
    lower_bound::numeric                    as lower_bound,
    upper_bound::numeric                    as upper_bound,
    nullif(mom_warn_pct::text, '')::numeric as mom_warn_pct,
    source::text                            as source,
    reference::text                         as reference
from {{ ref('metric_catalogue') }}
