-- English Indices of Deprivation (MHCLG), local authority summaries, one row per area,
-- release (year) and ranking: the population-weighted average IMD score, its rank (1 = most
-- deprived) and the share of the area's neighbourhoods (LSOAs) in the most deprived 10%
-- in England. File 10 ranks the local authority districts (dataset mhclg_iod_lad:
-- ranked_among 'district'); File 11 ranks upper-tier authorities (mhclg_iod_utla:
-- 'upper tier'), which is where a county is published. The two ranks are of different
-- sets of areas and are never compared with each other.
select
    area_code,
    max(area_name)                                                                  as area_name,
    max(area_level)                                                                 as area_level,
    period                                                                          as release_year,
    case dataset_id
        when 'mhclg_iod_lad' then 'district'
        when 'mhclg_iod_utla' then 'upper tier'
    end                                                                             as ranked_among,
    max(value) filter (where metric_id = 'econ_imd_avg_score')                      as imd_avg_score,
    max(value) filter (where metric_id = 'econ_imd_rank_avg_score')::integer        as imd_rank_avg_score,
    max(value) filter (where metric_id = 'econ_imd_share_most_deprived_10pct')      as imd_share_most_deprived_10pct,
    dataset_id,
    max(submission_id)                                                              as submission_id
from {{ ref('stg_public__observations') }}
where dataset_id in ('mhclg_iod_lad', 'mhclg_iod_utla')
group by area_code, period, dataset_id
