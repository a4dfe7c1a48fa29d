-- The partnership groups (seed partnership_groups): one row per group and member council,
-- with the group's size. The seed lives in `reference`, which the analyst cannot read;
-- this is how analysts, the explorer and the reports know who is in each group.
select
    g.group_id,
    g.group_name,
    g.council_code,
    c.council_name,
    count(*) over (partition by g.group_id) as group_councils
from {{ ref('partnership_groups') }} as g
inner join {{ ref('dim_council') }} as c on c.council_code = g.council_code
