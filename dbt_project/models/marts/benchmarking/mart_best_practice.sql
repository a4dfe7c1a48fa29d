-- Whom to ask: councils whose sustained improvement has put them in the top quartile of
-- the region. One row per council and metric, as of the metric's latest period, where in
-- mart_benchmark's region group the council is in quartile 1, its own trend over the last
-- var('trend_periods') periods is improving (with at least var('trend_min_periods')
-- periods), and it is better than in the same period a year earlier.
with rules as (
    select * from {{ ref('int_metric_rules') }}
),

benchmark_region as (
    select *
    from {{ ref('mart_benchmark') }}
    where group_type = 'region'
),

latest as (
    select metric_id, max(period_index) as latest_index
    from benchmark_region
    group by metric_id
)

select
    b.council_code,
    c.council_name,
    c.tier,
    c.website,
    b.metric_id,
    m.metric_name,
    m.service_area,
    m.polarity,
    m.normalised_unit                                                               as unit,
    b.period,
    b.value,
    b.normalised_value,
    b.rank,
    b.group_size,
    b.quartile,
    b.same_period_last_year,
    b.last_year_value,
    abs(b.change_vs_last_year)                                                      as improvement_vs_last_year,
    b.trend_periods,
    b.trend_slope,
    c.council_name || ' ranks ' || b.rank || ' of ' || b.group_size || ' in ' || b.period
        || ' on ' || m.metric_name || ' (' || {{ readable_value('b.normalised_value', 'm.unit', 'm.normalised_unit') }}
        || '), better than a year earlier (' || {{ readable_value('b.last_year_value', 'm.unit', 'm.normalised_unit') }}
        || ' in ' || b.same_period_last_year || ') and improving over the last ' || b.trend_periods
        || ' periods.'                                                              as why
from benchmark_region as b
inner join latest as l on l.metric_id = b.metric_id and l.latest_index = b.period_index
inner join rules as m on m.metric_id = b.metric_id
inner join {{ ref('dim_council') }} as c on c.council_code = b.council_code
where b.quartile = 1
  and b.trend_direction = 'improving'
  and b.direction_vs_last_year = 'improving'
