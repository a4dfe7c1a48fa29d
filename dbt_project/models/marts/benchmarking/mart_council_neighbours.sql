-- Why two councils are neighbours: each council's var('neighbour_count') nearest
-- neighbours with the distance, the feature values and z-scores of both, and how much
-- each feature contributes to the squared distance (distance2_*, weighted) and its share
-- of it (part_*). See int_council__features for the features, int_council__nearest_neighbours
-- for the distance and mart_neighbour_model_features for the weights.
with features as (
    select * from {{ ref('int_council__features') }}
)

select
    n.council_code,
    a.council_name,
    a.tier                                  as council_tier,
    n.neighbour_rank,
    n.neighbour_code,
    b.council_name                          as neighbour_name,
    b.tier                                  as neighbour_tier,
    n.distance,
    n.d2_population                         as distance2_population,
    n.d2_share_16_64                        as distance2_share_16_64,
    n.d2_claimant_rate                      as distance2_claimant_rate,
    n.d2_deprivation                        as distance2_deprivation,
    n.d2_density                            as distance2_density,
    n.d2_tier                               as distance2_tier,
    n.part_population,
    n.part_share_16_64,
    n.part_claimant_rate,
    n.part_deprivation,
    n.part_density,
    n.part_tier,
    a.population_all_ages                   as council_population,
    b.population_all_ages                   as neighbour_population,
    round(a.share_16_64, 4)                 as council_share_16_64,
    round(b.share_16_64, 4)                 as neighbour_share_16_64,
    round(a.claimant_rate, 3)               as council_claimant_rate,
    round(b.claimant_rate, 3)               as neighbour_claimant_rate,
    round(a.imd_avg_score, 3)               as council_imd_avg_score,
    round(b.imd_avg_score, 3)               as neighbour_imd_avg_score,
    round(a.residents_per_hectare, 2)       as council_residents_per_hectare,
    round(b.residents_per_hectare, 2)       as neighbour_residents_per_hectare,
    a.z_log_population                      as council_z_log_population,
    b.z_log_population                      as neighbour_z_log_population,
    a.z_share_16_64                         as council_z_share_16_64,
    b.z_share_16_64                         as neighbour_z_share_16_64,
    a.z_claimant_rate                       as council_z_claimant_rate,
    b.z_claimant_rate                       as neighbour_z_claimant_rate,
    a.z_imd_avg_score                       as council_z_imd_avg_score,
    b.z_imd_avg_score                       as neighbour_z_imd_avg_score,
    a.z_log_density                         as council_z_log_density,
    b.z_log_density                         as neighbour_z_log_density,
    a.population_year                       as population_year,
    a.claimant_first_month || ' to ' || a.claimant_last_month as claimant_months,
    a.imd_period                            as imd_period,
    a.land_area_period                      as land_area_period
from {{ ref('int_council__nearest_neighbours') }} as n
inner join features as a on a.council_code = n.council_code
inner join features as b on b.council_code = n.neighbour_code
