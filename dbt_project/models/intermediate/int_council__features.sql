-- The open nearest-neighbour model's inputs: one row per member council with features
-- from public statistics only, and their z-scores across the 33 councils.
--   log_population   ln(residents), latest mid-year estimate: size, on a log scale so
--                    Birmingham does not squash every other council together;
--   share_16_64      residents aged 16-64 / all residents: the age profile (NOMIS gives
--                    no finer age bands here);
--   claimant_rate    mean claimant rate (% of residents aged 16-64) over the latest 12
--                    published months: labour-market need;
--   tier             one-hot (metropolitan borough, unitary, county, district), not
--                    z-scored: a different tier adds 2 x var('neighbour_tier_weight')^2
--                    to the squared distance.
-- Population density would be a natural feature but the warehouse holds no area (land)
-- data yet; it is left out rather than guessed.
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
        c.claimant_months
    from registry as r
    inner join latest_population as p on p.council_code = r.council_code
    inner join claimant as c on c.council_code = r.council_code
),

stats as (
    select
        avg(log_population)         as mean_log_population,
        stddev_pop(log_population)  as sd_log_population,
        avg(share_16_64)            as mean_share_16_64,
        stddev_pop(share_16_64)     as sd_share_16_64,
        avg(claimant_rate)          as mean_claimant_rate,
        stddev_pop(claimant_rate)   as sd_claimant_rate
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
    (f.tier = 'metropolitan_borough')::integer  as is_metropolitan_borough,
    (f.tier = 'unitary')::integer               as is_unitary,
    (f.tier = 'county')::integer                as is_county,
    (f.tier = 'district')::integer              as is_district
from features as f
cross join stats as s
