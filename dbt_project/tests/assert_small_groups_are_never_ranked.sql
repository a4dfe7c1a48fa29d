-- The group-size rule (macros/rules/group_size.sql): a comparison group with fewer than
-- var('min_group_size') councils publishes no rank and no quartile, and says why
-- (not_ranked_reason 'group_too_small'); a group of at least that size ranks every council
-- of a ranked metric and gives no reason. Returns offending rows.
select
    b.council_code, b.metric_id, b.period, b.group_id, b.group_size, b.rank, b.quartile, b.not_ranked_reason
from {{ ref('mart_benchmark') }} as b
where (
        b.group_size < {{ var('min_group_size') | int }}
        and (b.rank is not null or b.quartile is not null or b.not_ranked_reason is distinct from 'group_too_small')
    )
    or (
        b.group_size >= {{ var('min_group_size') | int }}
        and (b.not_ranked_reason is not null or (b.polarity <> 'context' and (b.rank is null or b.quartile is null)))
    )
