-- ONS subregional productivity, one row per area and year: nominal (smoothed) GVA per
-- hour worked in pounds and as an index (UK = 100). Two files: local authority districts
-- (ons_productivity_lad) and ITL regions (ons_productivity_itl, which also carries the
-- regions, the countries and the UK). Where both publish an area, a council's figure
-- comes from the district file and the region's, England's and the UK's from the ITL
-- file (the same figures, published twice).
with observations as (
    select
        *,
        row_number() over (
            partition by area_code, period, metric_id
            order by
                case when (area_level = 'council') = (dataset_id = 'ons_productivity_lad') then 0 else 1 end,
                fetched_at desc
        ) as preference
    from {{ ref('stg_public__observations') }}
    where dataset_id in ('ons_productivity_lad', 'ons_productivity_itl')
      and metric_id in ('econ_gva_per_hour_gbp', 'econ_gva_per_hour_index')
)

select
    area_code,
    max(area_name)                                                              as area_name,
    max(area_level)                                                             as area_level,
    period::integer                                                             as year,
    max(value) filter (where metric_id = 'econ_gva_per_hour_gbp')               as gva_per_hour_gbp,
    max(value) filter (where metric_id = 'econ_gva_per_hour_index')             as gva_per_hour_index,
    max(dataset_id)                                                             as dataset_id,
    max(submission_id)                                                          as submission_id
from observations
where preference = 1
group by area_code, period
