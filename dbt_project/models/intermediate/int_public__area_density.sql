-- Population density: residents per hectare of land, one row per area and mid-year
-- population estimate, for every area with both a population estimate (NOMIS) and a
-- land area (ONS Standard Area Measurements): the councils (a county's own figures, never
-- a sum of its districts), the West Midlands, England and, where published, the UK.
-- Land area changes only with boundaries, so every year's population is set over the
-- area's latest land area release.
with latest_land_area as (
    select distinct on (area_code)
        area_code,
        release_year            as land_area_release,
        land_area_hectares
    from {{ ref('stg_ons__land_area') }}
    where land_area_hectares > 0
    order by area_code asc, release_year desc
)

select
    p.area_code,
    p.area_name,
    p.area_level,
    p.year                                                      as population_year,
    p.population_all_ages,
    a.land_area_hectares,
    a.land_area_release,
    p.population_all_ages / a.land_area_hectares                as residents_per_hectare
from {{ ref('stg_nomis__population') }} as p
inner join latest_land_area as a on a.area_code = p.area_code
where p.population_all_ages > 0
