-- Each council's var('neighbour_count') nearest neighbours by Euclidean distance over the
-- z-scored features of int_council__features plus the weighted tier one-hot. Ties in
-- distance are broken by GSS code, so the list is stable.
{% set w = var('neighbour_tier_weight') | float %}

with features as (
    select * from {{ ref('int_council__features') }}
),

pairs as (
    select
        a.council_code,
        b.council_code                                                          as neighbour_code,
        power(a.z_log_population - b.z_log_population, 2)                      as d2_population,
        power(a.z_share_16_64 - b.z_share_16_64, 2)                            as d2_share_16_64,
        power(a.z_claimant_rate - b.z_claimant_rate, 2)                        as d2_claimant_rate,
        {{ w * w }}::numeric * (
            power((a.is_metropolitan_borough - b.is_metropolitan_borough)::numeric, 2)
            + power((a.is_unitary - b.is_unitary)::numeric, 2)
            + power((a.is_county - b.is_county)::numeric, 2)
            + power((a.is_district - b.is_district)::numeric, 2))                          as d2_tier
    from features as a
    inner join features as b on b.council_code <> a.council_code
),

ranked as (
    select
        *,
        sqrt(d2_population + d2_share_16_64 + d2_claimant_rate + d2_tier)       as distance,
        row_number() over (
            partition by council_code
            order by d2_population + d2_share_16_64 + d2_claimant_rate + d2_tier, neighbour_code
        )                                                                       as neighbour_rank
    from pairs
)

select
    council_code,
    neighbour_code,
    neighbour_rank,
    round(distance, 6)              as distance,
    round(d2_population, 6)         as d2_population,
    round(d2_share_16_64, 6)        as d2_share_16_64,
    round(d2_claimant_rate, 6)      as d2_claimant_rate,
    round(d2_tier, 6)               as d2_tier
from ranked
where neighbour_rank <= {{ var('neighbour_count') | int }}
