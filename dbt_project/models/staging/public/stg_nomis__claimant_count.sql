-- Claimant count (NOMIS NM_162_1), one row per area and month: the count and the rate
-- as a percentage of residents aged 16-64. Suppressed values are null, with their status.
select
    area_code,
    max(area_name)                                                               as area_name,
    max(area_level)                                                              as area_level,
    period                                                                       as period,
    to_date(period || '-01', 'YYYY-MM-DD')                                       as month_start,
    max(value) filter (where metric_id = 'econ_claimant_count')::bigint          as claimant_count,
    max(value) filter (where metric_id = 'econ_claimant_rate')                   as claimant_rate,
    max(obs_status) filter (where metric_id = 'econ_claimant_count')             as claimant_count_status,
    max(obs_status) filter (where metric_id = 'econ_claimant_rate')              as claimant_rate_status,
    max(submission_id)                                                           as submission_id
from {{ ref('stg_public__observations') }}
where dataset_id = 'nomis_claimant_count'
group by area_code, period
