-- ONS Standard Area Measurements, one row per area and release: the area of land in
-- hectares (AREALHECT: excluding inland water and the sea), the denominator of
-- population density. Councils (a county from the counties file, not a sum of its
-- districts), the West Midlands, England and, where loaded, the UK.
select
    area_code,
    area_name,
    area_level,
    period                      as release_year,
    value                       as land_area_hectares,
    obs_status                  as status,
    submission_id
from {{ ref('stg_public__observations') }}
where dataset_id = 'ons_land_area'
  and metric_id = 'econ_land_area_hectares'
