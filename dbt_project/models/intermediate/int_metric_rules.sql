-- How each metric is compared: one row per catalogue metric with the rules the
-- benchmarking models apply (normalisation, regional aggregation, annual roll-up).
select
    metric_id,
    metric_name,
    service_area,
    unit,
    value_type,
    polarity,
    frequency,
    case frequency when 'monthly' then 12 when 'quarterly' then 4 else 1 end       as periods_per_year,
    -- tiers as comma-separated text (not arrays), so unit tests can give them as plain values
    array_to_string(delivering_tiers, ',')                                          as delivering_tiers,
    scale,
    per_capita_basis,
    source,
    {{ metric_is_area_based('metric_id', 'source') }}                               as is_area_based,
    array_to_string(
        {{ regional_aggregate_tiers('delivering_tiers', metric_is_area_based('metric_id', 'source')) }}, ','
    )                                                                               as aggregate_tiers,
    {{ is_per_capita('value_type', 'per_capita_basis') }}                           as is_per_capita,
    {{ normalised_scale('value_type', 'per_capita_basis', 'scale') }}               as normalised_scale,
    {{ normalised_unit('unit', 'value_type', 'per_capita_basis') }}                 as normalised_unit,
    -- counts with no population to divide by are summed into a regional total
    (value_type in ('count', 'amount') and per_capita_basis is null)                as is_regional_total,
    metric_id in ({{ sql_list(var('year_to_date_metrics')) }})                      as is_year_to_date,
    case when metric_id in ({{ sql_list(var('year_to_date_metrics') + var('rolling_metrics')) }})
         then 'latest_period' else 'all_periods' end                               as annual_rule
from {{ ref('stg_reference__metric_catalogue') }}
