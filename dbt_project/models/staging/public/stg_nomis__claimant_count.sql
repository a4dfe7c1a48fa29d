-- Claimant count (NOMIS NM_162_1), one row per area and month: the count and the rate
-- as a percentage of residents aged 16-64 (all ages, dataset nomis_claimant_count), and
-- beside them the 18-24 count and rate (nomis_claimant_count_18_24: the rate is over
-- residents aged 18-24, as NOMIS publishes it for the band). Suppressed values are null,
-- with their status. A month one of the two datasets has not published yet has nulls
-- in its columns.
select
    area_code,
    max(area_name)                                                                   as area_name,
    max(area_level)                                                                  as area_level,
    period                                                                           as period,
    to_date(period || '-01', 'YYYY-MM-DD')                                           as month_start,
    max(value) filter (where metric_id = 'econ_claimant_count')::bigint              as claimant_count,
    max(value) filter (where metric_id = 'econ_claimant_rate')                       as claimant_rate,
    max(obs_status) filter (where metric_id = 'econ_claimant_count')                 as claimant_count_status,
    max(obs_status) filter (where metric_id = 'econ_claimant_rate')                  as claimant_rate_status,
    max(value) filter (where metric_id = 'econ_claimant_count_18_24')::bigint        as claimant_count_18_24,
    max(value) filter (where metric_id = 'econ_claimant_rate_18_24')                 as claimant_rate_18_24,
    max(obs_status) filter (where metric_id = 'econ_claimant_count_18_24')           as claimant_count_18_24_status,
    max(obs_status) filter (where metric_id = 'econ_claimant_rate_18_24')            as claimant_rate_18_24_status,
    max(submission_id) filter (where dataset_id = 'nomis_claimant_count')            as submission_id,
    max(submission_id) filter (where dataset_id = 'nomis_claimant_count_18_24')      as submission_id_18_24
from {{ ref('stg_public__observations') }}
where dataset_id in ('nomis_claimant_count', 'nomis_claimant_count_18_24')
group by area_code, period
