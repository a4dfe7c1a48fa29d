-- Who each council is compared with: one row per council, comparison group and member
-- (the council itself included), the groups mart_benchmark ranks in.
with groups as (
    select * from {{ ref('int_council__comparison_groups') }}
),

owners as (
    -- a shared group (region, tier, county family) belongs to each of its members;
    -- a nearest-neighbours group to its one council
    select distinct group_id, coalesce(owner_council_code, member_council_code) as council_code
    from groups
    where owner_council_code is null or owner_council_code = member_council_code
)

select
    o.council_code,
    g.group_type,
    g.group_id,
    g.group_label,
    g.member_council_code,
    g.member_council_name,
    g.member_tier,
    g.member_council_code = o.council_code      as is_self,
    g.neighbour_rank,
    g.neighbour_distance
from owners as o
inner join groups as g on g.group_id = o.group_id
