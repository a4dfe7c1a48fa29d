-- A regional aggregate never sums a county and its districts for the same area: no
-- area-based metric aggregates over both tiers, and no aggregate counts more councils than
-- have a value in the metric's aggregate tiers. Returns offending metrics or periods.
with region_rows as (
    select b.metric_id, b.period, b.regional_councils, c.tier, m.aggregate_tiers
    from {{ ref('mart_benchmark') }} as b
    inner join {{ ref('dim_council') }} as c on c.council_code = b.council_code
    inner join {{ ref('int_metric_rules') }} as m on m.metric_id = b.metric_id
    where b.group_type = 'region'
)

select metric_id, null as period, 'area-based metric aggregates counties and districts' as problem
from {{ ref('int_metric_rules') }}
where is_area_based
  and 'county' = any(string_to_array(aggregate_tiers, ','))
  and 'district' = any(string_to_array(aggregate_tiers, ','))

union all

select metric_id, period, 'more councils in the aggregate than report in its tiers' as problem
from region_rows
group by metric_id, period
having max(regional_councils) > count(*) filter (where tier = any(string_to_array(aggregate_tiers, ',')))
