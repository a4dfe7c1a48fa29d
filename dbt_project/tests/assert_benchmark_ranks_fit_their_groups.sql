-- Ranks run from 1 to the group size, the best value holds rank 1, and the quartile is the
-- one its rank gives; context metrics have neither, and nor has a group too small to rank
-- (assert_small_groups_are_never_ranked.sql). Returns offending rows.
with groups as (
    select
        group_id, metric_id, period,
        min(rank) as best_rank,
        count(*) as rows_in_group,
        max(group_size) as group_size
    from {{ ref('mart_benchmark') }}
    where group_type <> 'nearest_neighbours'      -- those rows are the owner's only
    group by group_id, metric_id, period
)

select b.council_code, b.metric_id, b.period, b.group_id, 'rank or quartile out of place' as problem
from {{ ref('mart_benchmark') }} as b
where (b.polarity = 'context' and (b.rank is not null or b.quartile is not null))
   or (b.polarity <> 'context' and (
        b.rank not between 1 and b.group_size
        or b.quartile <> 1 + floor(4.0 * (b.rank - 1) / b.group_size)))

union all

select null as council_code, g.metric_id, g.period, g.group_id, 'group incomplete or without a rank 1' as problem
from groups as g
inner join {{ ref('int_metric_rules') }} as m on m.metric_id = g.metric_id
where g.rows_in_group <> g.group_size
   or (m.polarity <> 'context' and g.best_rank <> 1)
