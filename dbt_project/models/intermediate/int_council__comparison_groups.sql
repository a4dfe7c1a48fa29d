-- Every council's comparison groups, one row per group and member:
--   region             all 33 councils (for a metric, those that deliver it report a value);
--   tier               councils of the same tier;
--   county_family      a county and its districts (two-tier areas only);
--   nearest_neighbours the council and its var('neighbour_count') nearest neighbours
--                      (int_council__nearest_neighbours); one group per council.
-- region, tier and county_family groups are shared by their members (owner_council_code
-- is null); a nearest-neighbours group belongs to one council (owner_council_code).
with registry as (
    select council_code, council_name, tier, county_code, county_name
    from {{ ref('stg_reference__council_registry') }}
),

tier_names as (
    select * from (values
        ('metropolitan_borough', 'metropolitan boroughs'),
        ('unitary', 'unitary councils'),
        ('county', 'county councils'),
        ('district', 'district councils')
    ) as t (tier, tier_plural)
),

memberships as (
    select
        'region'                                            as group_type,
        'region'                                            as group_id,
        'West Midlands: all member councils'                as group_label,
        null::text                                          as owner_council_code,
        r.council_code                                      as member_council_code,
        null::integer                                       as neighbour_rank,
        null::numeric                                       as neighbour_distance
    from registry as r

    union all

    select
        'tier'                                              as group_type,
        'tier:' || r.tier                                   as group_id,
        'Same tier: ' || t.tier_plural                      as group_label,
        null                                                as owner_council_code,
        r.council_code                                      as member_council_code,
        null                                                as neighbour_rank,
        null                                                as neighbour_distance
    from registry as r
    inner join tier_names as t on t.tier = r.tier

    union all

    select
        'county_family'                                     as group_type,
        'county_family:' || coalesce(r.county_code, r.council_code) as group_id,
        'County family: ' || coalesce(r.county_name, replace(r.council_name, ' County Council', ''))
        || ' (county and districts)'                        as group_label,
        null                                                as owner_council_code,
        r.council_code                                      as member_council_code,
        null                                                as neighbour_rank,
        null                                                as neighbour_distance
    from registry as r
    where r.tier in ('county', 'district')

    union all

    select
        'nearest_neighbours'                                as group_type,
        'nearest_neighbours:' || o.council_code             as group_id,
        'Nearest neighbours of ' || o.council_name          as group_label,
        o.council_code                                      as owner_council_code,
        o.council_code                                      as member_council_code,
        0                                                   as neighbour_rank,
        0                                                   as neighbour_distance
    from registry as o
    where exists (select 1 from {{ ref('int_council__nearest_neighbours') }} as n where n.council_code = o.council_code)

    union all

    select
        'nearest_neighbours'                                as group_type,
        'nearest_neighbours:' || n.council_code             as group_id,
        'Nearest neighbours of ' || o.council_name          as group_label,
        n.council_code                                      as owner_council_code,
        n.neighbour_code                                    as member_council_code,
        n.neighbour_rank                                    as neighbour_rank,
        n.distance                                          as neighbour_distance
    from {{ ref('int_council__nearest_neighbours') }} as n
    inner join registry as o on o.council_code = n.council_code
)

select
    m.group_type,
    m.group_id,
    m.group_label,
    m.owner_council_code,
    m.member_council_code,
    r.council_name      as member_council_name,
    r.tier              as member_tier,
    m.neighbour_rank,
    m.neighbour_distance
from memberships as m
inner join registry as r on r.council_code = m.member_council_code
