-- UK Business Counts (NOMIS), one row per area and year (March of the year): VAT and/or
-- PAYE registered enterprises (NM_142_1, dataset nomis_business_enterprises) and their
-- local units, the workplaces (NM_141_1, nomis_business_local_units), by employment
-- size band, and those in manufacturing (SIC 2007 section C, all sizes). A county's
-- figures are NOMIS's figures for the county.
select
    area_code,
    max(area_name)                                                                         as area_name,
    max(area_level)                                                                        as area_level,
    period::integer                                                                        as year,
    max(value) filter (where metric_id = 'econ_enterprises_total')::bigint                 as enterprises_total,
    max(value) filter (where metric_id = 'econ_enterprises_micro')::bigint                 as enterprises_micro,
    max(value) filter (where metric_id = 'econ_enterprises_small')::bigint                 as enterprises_small,
    max(value) filter (where metric_id = 'econ_enterprises_medium')::bigint                as enterprises_medium,
    max(value) filter (where metric_id = 'econ_enterprises_large')::bigint                 as enterprises_large,
    max(value) filter (where metric_id = 'econ_enterprises_manufacturing')::bigint         as enterprises_manufacturing,
    max(value) filter (where metric_id = 'econ_local_units_total')::bigint                 as local_units_total,
    max(value) filter (where metric_id = 'econ_local_units_micro')::bigint                 as local_units_micro,
    max(value) filter (where metric_id = 'econ_local_units_small')::bigint                 as local_units_small,
    max(value) filter (where metric_id = 'econ_local_units_medium')::bigint                as local_units_medium,
    max(value) filter (where metric_id = 'econ_local_units_large')::bigint                 as local_units_large,
    max(value) filter (where metric_id = 'econ_local_units_manufacturing')::bigint         as local_units_manufacturing,
    max(submission_id) filter (where dataset_id = 'nomis_business_enterprises')            as enterprises_submission_id,
    max(submission_id) filter (where dataset_id = 'nomis_business_local_units')            as local_units_submission_id
from {{ ref('stg_public__observations') }}
where dataset_id in ('nomis_business_enterprises', 'nomis_business_local_units')
group by area_code, period
