-- ONS mid-year population estimates (NOMIS NM_2002_1), one row per area and year: the
-- denominators for per-capita metrics. Every council (counties too), the region and England.
select
    area_code,
    max(area_name)                                                               as area_name,
    max(area_level)                                                              as area_level,
    period::integer                                                              as year,
    make_date(period::integer, 6, 30)                                            as reference_date,
    max(value) filter (where metric_id = 'econ_population_all_ages')::bigint     as population_all_ages,
    max(value) filter (where metric_id = 'econ_population_16_64')::bigint        as population_16_64,
    max(submission_id)                                                           as submission_id
from {{ ref('stg_public__observations') }}
where dataset_id = 'nomis_population'
group by area_code, period
