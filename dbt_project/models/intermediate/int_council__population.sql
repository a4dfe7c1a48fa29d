-- Mid-year population estimates of the member councils (the three counties included),
-- one row per council and year: the denominators of per-capita figures.
select
    p.area_code                 as council_code,
    p.year                      as population_year,
    p.population_all_ages,
    p.population_16_64,
    p.submission_id
from {{ ref('stg_nomis__population') }} as p
inner join {{ ref('stg_reference__council_registry') }} as r on r.council_code = p.area_code
where p.population_all_ages > 0
