-- The neighbour model can be read off its columns: the weighted feature terms add up to
-- the squared distance, and their shares of it to 1 (rounding aside).
select
    council_code,
    neighbour_rank,
    distance,
    distance2_population + distance2_share_16_64 + distance2_claimant_rate + distance2_deprivation
    + distance2_density + distance2_tier                                    as distance2,
    part_population + part_share_16_64 + part_claimant_rate + part_deprivation + part_density + part_tier
                                                                            as parts
from {{ ref('mart_council_neighbours') }}
where abs(
    power(distance, 2) - (distance2_population + distance2_share_16_64 + distance2_claimant_rate
                          + distance2_deprivation + distance2_density + distance2_tier)
) > 0.0001
   or (distance > 0 and abs(
       part_population + part_share_16_64 + part_claimant_rate + part_deprivation + part_density + part_tier - 1
   ) > 0.001)
