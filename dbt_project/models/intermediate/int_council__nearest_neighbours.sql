-- Each council's var('neighbour_count') nearest neighbours by a weighted Euclidean distance
-- over the z-scored features of int_council__features plus the tier one-hot:
--   distance^2 = sum over features of weight x (z difference)^2 + d2_tier,
-- with each feature's weight from var('neighbour_weights') (macros/rules/neighbour_weight.sql)
-- and d2_tier = var('neighbour_tier_weight')^2 x the squared one-hot difference (2 x w^2
-- for a different tier, 0 for the same). The d2_* columns add up to distance^2, and
-- part_* is each one's share of it, so a reader sees what makes two councils close or far.
-- Ties in distance are broken by GSS code, so the list is stable.
{% set w = var('neighbour_tier_weight') | float %}

with features as (
    select * from {{ ref('int_council__features') }}
),

pairs as (
    select
        a.council_code,
        b.council_code                                                          as neighbour_code,
        {{ neighbour_weight('population') }}::numeric
        * power(a.z_log_population - b.z_log_population, 2)                    as d2_population,
        {{ neighbour_weight('share_16_64') }}::numeric
        * power(a.z_share_16_64 - b.z_share_16_64, 2)                          as d2_share_16_64,
        {{ neighbour_weight('claimant_rate') }}::numeric
        * power(a.z_claimant_rate - b.z_claimant_rate, 2)                      as d2_claimant_rate,
        {{ neighbour_weight('deprivation') }}::numeric
        * power(a.z_imd_avg_score - b.z_imd_avg_score, 2)                      as d2_deprivation,
        {{ neighbour_weight('density') }}::numeric
        * power(a.z_log_density - b.z_log_density, 2)                          as d2_density,
        {{ w * w }}::numeric * (
            power((a.is_metropolitan_borough - b.is_metropolitan_borough)::numeric, 2)
            + power((a.is_unitary - b.is_unitary)::numeric, 2)
            + power((a.is_county - b.is_county)::numeric, 2)
            + power((a.is_district - b.is_district)::numeric, 2))                          as d2_tier
    from features as a
    inner join features as b on b.council_code <> a.council_code
),

summed as (
    select
        *,
        d2_population + d2_share_16_64 + d2_claimant_rate + d2_deprivation + d2_density + d2_tier as distance2
    from pairs
),

ranked as (
    select
        *,
        sqrt(distance2)                                                         as distance,
        row_number() over (partition by council_code order by distance2, neighbour_code) as neighbour_rank
    from summed
)

select
    council_code,
    neighbour_code,
    neighbour_rank,
    round(distance, 6)                                  as distance,
    round(d2_population, 6)                             as d2_population,
    round(d2_share_16_64, 6)                            as d2_share_16_64,
    round(d2_claimant_rate, 6)                          as d2_claimant_rate,
    round(d2_deprivation, 6)                            as d2_deprivation,
    round(d2_density, 6)                                as d2_density,
    round(d2_tier, 6)                                   as d2_tier,
    round(d2_population / nullif(distance2, 0), 4)      as part_population,
    round(d2_share_16_64 / nullif(distance2, 0), 4)     as part_share_16_64,
    round(d2_claimant_rate / nullif(distance2, 0), 4)   as part_claimant_rate,
    round(d2_deprivation / nullif(distance2, 0), 4)     as part_deprivation,
    round(d2_density / nullif(distance2, 0), 4)         as part_density,
    round(d2_tier / nullif(distance2, 0), 4)            as part_tier
from ranked
where neighbour_rank <= {{ var('neighbour_count') | int }}
