-- The open nearest-neighbour model's inputs: one row per member council with features
-- from public statistics only, and their z-scores across the 33 councils.
--   log_population   ln(residents), latest mid-year estimate: size, on a log scale so
--                    Birmingham does not squash every other council together;
--   share_16_64      residents aged 16-64 / all residents: the age profile (NOMIS gives
--                    no finer age bands here);
--   claimant_rate    mean claimant rate (% of residents aged 16-64) over the latest 12
--                    published months: labour-market need;
--   imd_avg_score    deprivation: the IMD 2025 average score (metric econ_imd_avg_score),
--                    the district summary for a district, borough or unitary and the
--                    county's own upper-tier summary for a county;
--   log_density      ln(residents per hectare): the population above over the land area
--                    of the latest Standard Area Measurements release
--                    (econ_land_area_hectares), on a log scale like population;
--   tier             one-hot (metropolitan borough, unitary, county, district), not
--                    z-scored: a different tier adds 2 x var('neighbour_tier_weight')^2
--                    to the squared distance.
-- How much each feature weighs is var('neighbour_weights') (int_council__nearest_neighbours).
-- A council without a deprivation or density figure (a source not loaded yet, a new
-- authority the release does not cover) keeps its place in the model: its z-score is 0,
-- the councils' mean, so that feature neither pulls it towards nor pushes it away from
-- any council in particular, and deprivation_imputed / density_imputed say so (a warn
-- test reports it on every build). The other features' mean and spread are over the
-- councils that have a figure.
with registry as (
    select council_code, council_name, tier from {{ ref('stg_reference__council_registry') }}
),

latest_population as (
    select distinct on (council_code)
        council_code, population_year, population_all_ages, population_16_64
    from {{ ref('int_council__population') }}
    where population_16_64 is not null
    order by council_code asc, population_year desc
),

claimant_months as (
    select
        area_code,
        period,
        claimant_rate,
        row_number() over (partition by area_code order by period desc) as months_back
    from {{ ref('stg_nomis__claimant_count') }}
    where claimant_rate is not null
),

claimant as (
    select
        area_code                                   as council_code,
        avg(claimant_rate)                          as claimant_rate,
        min(period)                                 as claimant_first_month,
        max(period)                                 as claimant_last_month,
        count(*)                                    as claimant_months
    from claimant_months
    where months_back <= 12
    group by area_code
),

-- Deprivation: by metric id, whichever IoD dataset carries it; the newest release
-- first, then the summary for the council's own geography (File 11 for a county).
deprivation as (
    select distinct on (o.area_code)
        o.area_code                                 as council_code,
        o.value                                     as imd_avg_score,
        o.period                                    as imd_period
    from {{ ref('stg_public__observations') }} as o
    inner join registry as r on r.council_code = o.area_code
    where o.metric_id = 'econ_imd_avg_score'
      and o.value is not null
    order by
        o.area_code asc,
        o.period desc,
        (o.dataset_id = case when r.tier = 'county' then 'mhclg_iod_utla' else 'mhclg_iod_lad' end) desc,
        o.dataset_id asc
),

land_area as (
    select distinct on (o.area_code)
        o.area_code                                 as council_code,
        o.value                                     as land_area_hectares,
        o.period                                    as land_area_period
    from {{ ref('stg_public__observations') }} as o
    where o.metric_id = 'econ_land_area_hectares'
      and o.value > 0
    order by o.area_code asc, o.period desc, o.dataset_id asc
),

features as (
    select
        r.council_code,
        r.council_name,
        r.tier,
        p.population_year,
        p.population_all_ages,
        p.population_16_64,
        ln(p.population_all_ages::numeric)                                  as log_population,
        p.population_16_64::numeric / p.population_all_ages                 as share_16_64,
        c.claimant_rate,
        c.claimant_first_month,
        c.claimant_last_month,
        c.claimant_months,
        d.imd_avg_score,
        d.imd_period,
        a.land_area_hectares,
        a.land_area_period,
        p.population_all_ages / a.land_area_hectares                        as residents_per_hectare,
        ln(p.population_all_ages / a.land_area_hectares)                    as log_density
    from registry as r
    inner join latest_population as p on p.council_code = r.council_code
    inner join claimant as c on c.council_code = r.council_code
    left join deprivation as d on d.council_code = r.council_code
    left join land_area as a on a.council_code = r.council_code
),

stats as (
    select
        avg(log_population)         as mean_log_population,
        stddev_pop(log_population)  as sd_log_population,
        avg(share_16_64)            as mean_share_16_64,
        stddev_pop(share_16_64)     as sd_share_16_64,
        avg(claimant_rate)          as mean_claimant_rate,
        stddev_pop(claimant_rate)   as sd_claimant_rate,
        avg(imd_avg_score)          as mean_imd_avg_score,
        stddev_pop(imd_avg_score)   as sd_imd_avg_score,
        avg(log_density)            as mean_log_density,
        stddev_pop(log_density)     as sd_log_density
    from features
)

select
    f.*,
    round(coalesce((f.log_population - s.mean_log_population) / nullif(s.sd_log_population, 0), 0), 6)
                                                as z_log_population,
    round(coalesce((f.share_16_64 - s.mean_share_16_64) / nullif(s.sd_share_16_64, 0), 0), 6)
                                                as z_share_16_64,
    round(coalesce((f.claimant_rate - s.mean_claimant_rate) / nullif(s.sd_claimant_rate, 0), 0), 6)
                                                as z_claimant_rate,
    round(coalesce((f.imd_avg_score - s.mean_imd_avg_score) / nullif(s.sd_imd_avg_score, 0), 0), 6)
                                                as z_imd_avg_score,
    round(coalesce((f.log_density - s.mean_log_density) / nullif(s.sd_log_density, 0), 0), 6)
                                                as z_log_density,
    f.imd_avg_score is null                     as deprivation_imputed,
    f.log_density is null                       as density_imputed,
    (f.tier = 'metropolitan_borough')::integer  as is_metropolitan_borough,
    (f.tier = 'unitary')::integer               as is_unitary,
    (f.tier = 'county')::integer                as is_county,
    (f.tier = 'district')::integer              as is_district
from features as f
cross join stats as s
