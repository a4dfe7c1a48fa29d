-- Annual Population Survey qualifications (NOMIS NM_17_5), one row per area, period and
-- series: the share of residents aged 16-64 qualified to level 4 or above, with the
-- survey's numerator, denominator and confidence interval where published. Two series,
-- kept apart: 'RQF4+' (variable 1902, from the 2022 data) and the older 'NVQ4+'
-- (variable 290, to 2021) are different measures, never one series. A period is the 12
-- months ending in its month ('2024-12' = January to December 2024). An estimate NOMIS
-- withholds for a small sample is null, with its status, and stays suppressed.
with observations as (
    select
        *,
        split_part(metric_id, '__', 1)                   as series_metric_id,
        coalesce(nullif(split_part(metric_id, '__', 2), ''), 'value') as part
    from {{ ref('stg_public__observations') }}
    where dataset_id = 'nomis_aps_qualifications'
)

select
    area_code,
    max(area_name)                                                      as area_name,
    max(area_level)                                                     as area_level,
    period,
    left(period, 4)::integer                                            as year,
    case series_metric_id
        when 'econ_qual_rqf4_pct' then 'RQF4+'
        when 'econ_qual_nvq4_pct' then 'NVQ4+'
    end                                                                 as series,
    series_metric_id                                                    as metric_id,
    max(value) filter (where part = 'value')                            as value,
    max(value) filter (where part = 'numerator')                        as numerator,
    max(value) filter (where part = 'denominator')                      as denominator,
    max(value) filter (where part = 'confidence')                       as confidence_interval,
    max(obs_status) filter (where part = 'value')                       as status,
    coalesce(bool_and(value is null) filter (where part = 'value'), true) as is_suppressed,
    max(submission_id)                                                  as submission_id
from observations
where series_metric_id in ('econ_qual_rqf4_pct', 'econ_qual_nvq4_pct')
group by area_code, period, series_metric_id
