-- The context beside every comparison: one row per member council (the 33, counties
-- included) with the latest published figure of each context statistic, never ranked.
-- A county's figures are the county's own as published (NOMIS's county figures, the
-- upper-tier IoD summary, the counties' Standard Area Measurements), never a sum of its
-- districts. Where a source has no figure for a council the columns are null.
--   population and density   latest mid-year estimate over the latest land area release
--                            (int_public__area_density), beside the same for the West
--                            Midlands and England;
--   deprivation              latest IoD release: the district summary (File 10) for a
--                            borough, unitary or district, the upper-tier summary (File 11)
--                            for a county; each rank is among its own set of areas;
--   claimant rates           the latest month with both the all-ages and the 18-24 rate;
--   qualifications           the latest RQF4+ estimate (never the older NVQ4+ series); a
--                            withheld small-sample estimate stays null, with its status;
--   productivity             the latest year of GVA per hour worked;
--   businesses               the latest year of UK Business Counts: enterprises, and the
--                            manufacturing share of them.
with registry as (
    select council_code, council_name, tier
    from {{ ref('stg_reference__council_registry') }}
),

population as (
    select distinct on (council_code) council_code, population_year, population_all_ages
    from {{ ref('int_council__population') }}
    order by council_code asc, population_year desc
),

density as (
    select area_code, population_year, land_area_hectares, land_area_release, residents_per_hectare
    from {{ ref('int_public__area_density') }}
),

-- the West Midlands' and England's latest density, for comparison
comparator_density as (
    select distinct on (area_level) area_level, residents_per_hectare
    from {{ ref('int_public__area_density') }}
    where area_level in ('region', 'country')
    order by area_level asc, population_year desc
),

deprivation as (
    select distinct on (d.area_code)
        d.area_code, d.release_year, d.ranked_among, d.imd_avg_score, d.imd_rank_avg_score,
        d.imd_share_most_deprived_10pct
    from {{ ref('stg_mhclg__deprivation') }} as d
    inner join registry as r on r.council_code = d.area_code
    where d.ranked_among = case when r.tier = 'county' then 'upper tier' else 'district' end
    order by d.area_code asc, d.release_year desc
),

claimant as (
    select distinct on (area_code) area_code, period, claimant_rate, claimant_rate_18_24
    from {{ ref('stg_nomis__claimant_count') }}
    where claimant_rate is not null and claimant_rate_18_24 is not null
    order by area_code asc, period desc
),

qualifications as (
    select distinct on (area_code) area_code, period, value, confidence_interval, is_suppressed
    from {{ ref('stg_nomis__qualifications') }}
    where series = 'RQF4+'
    order by area_code asc, period desc
),

productivity as (
    select distinct on (area_code) area_code, year, gva_per_hour_gbp, gva_per_hour_index
    from {{ ref('stg_ons__productivity') }}
    where gva_per_hour_gbp is not null or gva_per_hour_index is not null
    order by area_code asc, year desc
),

businesses as (
    select distinct on (area_code) area_code, year, enterprises_total, enterprises_manufacturing
    from {{ ref('stg_nomis__business_counts') }}
    where enterprises_total is not null
    order by area_code asc, year desc
)

select
    r.council_code,
    r.council_name,
    r.tier,
    p.population_all_ages,
    p.population_year,
    d.land_area_hectares,
    d.land_area_release,
    round(d.residents_per_hectare, 2)                                               as residents_per_hectare,
    i.imd_avg_score,
    i.imd_rank_avg_score,
    i.ranked_among                                                                  as imd_ranked_among,
    i.imd_share_most_deprived_10pct,
    i.release_year                                                                  as iod_release,
    c.claimant_rate,
    c.claimant_rate_18_24,
    c.period                                                                        as claimant_month,
    q.value                                                                         as qual_rqf4_pct,
    q.confidence_interval                                                           as qual_rqf4_confidence,
    q.period                                                                        as qual_rqf4_period,
    case when q.is_suppressed then 'suppressed' end                                 as qual_rqf4_status,
    g.gva_per_hour_gbp,
    g.gva_per_hour_index,
    g.year                                                                          as gva_year,
    b.enterprises_total,
    round(100.0 * b.enterprises_manufacturing / nullif(b.enterprises_total, 0), 2)  as manufacturing_share_pct,
    b.year                                                                          as business_year,
    round((select cd.residents_per_hectare from comparator_density as cd where cd.area_level = 'region'), 2)
                                                                                    as region_residents_per_hectare,
    round((select cd.residents_per_hectare from comparator_density as cd where cd.area_level = 'country'), 2)
                                                                                    as england_residents_per_hectare
from registry as r
left join population as p on p.council_code = r.council_code
left join density as d on d.area_code = r.council_code and d.population_year = p.population_year
left join deprivation as i on i.area_code = r.council_code
left join claimant as c on c.area_code = r.council_code
left join qualifications as q on q.area_code = r.council_code
left join productivity as g on g.area_code = r.council_code
left join businesses as b on b.area_code = r.council_code
