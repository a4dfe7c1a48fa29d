-- Where the region as a whole has a problem: one row per metric, period and problem, as
-- the list stood at each of the metric's periods (is_latest marks the metric's latest
-- period), with a plain-English reason. Every period is kept, so last month's list can
-- be read again as it was. Context metrics have no better or worse and never appear. A
-- metric can have several problems at a period:
--   worse_than_england        the region's value for the latest complete financial year
--                             (complete by the period) is worse than England's; a year
--                             with periods missing is never compared (see
--                             mart_region_performance.region_vs_england);
--   region_worsening          the regional aggregate (mart_benchmark.region_value) got
--                             worse than the period before in each of the last
--                             var('problem_consecutive_periods') periods or more;
--   most_councils_worsening   more than half of the councils with a value a year earlier
--                             are worse than a year earlier (same period, so seasons
--                             cancel out);
--   most_councils_trending_worse  more than half of the councils with a trend have a
--                             worsening var('trend_periods')-period trend.
{% set streak = var('problem_consecutive_periods') | int %}

with rules as (
    select * from {{ ref('int_metric_rules') }}
    where polarity <> 'context'
),

periods as (
    select period, frequency, period_index from {{ ref('dim_period') }}
),

benchmark_region as (
    select
        b.metric_id, b.period, b.period_index, b.region_value, b.same_period_last_year,
        b.direction_vs_last_year, b.trend_direction
    from {{ ref('mart_benchmark') }} as b
    inner join rules as m on m.metric_id = b.metric_id
    where b.group_type = 'region'
),

-- each metric's latest period: that of its latest financial year
latest as (
    select distinct on (r.metric_id) r.metric_id, r.latest_period as period
    from {{ ref('mart_region_performance') }} as r
    order by r.metric_id asc, r.financial_year desc
),

regional_series as (
    select distinct metric_id, period, period_index, region_value
    from benchmark_region
    where region_value is not null
),

regional_steps as (
    select
        s.*,
        prev.region_value                                                           as previous_region_value,
        {{ direction_of_travel('s.region_value', 'prev.region_value', 'm.polarity') }} as step
    from regional_series as s
    inner join rules as m on m.metric_id = s.metric_id
    left join regional_series as prev
        on prev.metric_id = s.metric_id and prev.period_index = s.period_index - 1
),

-- periods in a row the regional figure got worse, up to each period: back to the last
-- period that did not (the first period, with no previous one, never did)
streaks as (
    select
        s.*,
        s.period_index - max(s.period_index) filter (where s.step <> 'worsening')
            over (partition by s.metric_id order by s.period_index)                 as worsening_periods
    from regional_steps as s
),

streak_ends as (
    select
        st.metric_id,
        st.period,
        st.worsening_periods,
        first_step.period                                                           as worsening_since_period,
        first_step.previous_region_value                                            as worsening_from_value,
        st.region_value
    from streaks as st
    inner join regional_steps as first_step
        on first_step.metric_id = st.metric_id
       and first_step.period_index = st.period_index - st.worsening_periods + 1
    where st.worsening_periods >= {{ streak }}
),

council_directions as (
    select
        b.metric_id,
        b.period,
        max(b.same_period_last_year)                                                as same_period_last_year,
        max(b.region_value)                                                         as region_value,
        count(*) filter (where b.direction_vs_last_year = 'worsening')              as worse_than_last_year,
        count(*) filter (where b.direction_vs_last_year <> 'not comparable')        as comparable_last_year,
        count(*) filter (where b.trend_direction = 'worsening')                     as trending_worse,
        count(*) filter (where b.trend_direction <> 'not comparable')               as with_trend
    from benchmark_region as b
    group by b.metric_id, b.period
),

-- financial years compared with England, by the index of their last period
england_years as (
    select
        r.metric_id, r.financial_year, r.region_value, r.england_value, r.region_vs_england,
        p.period_index                                                              as year_end_index
    from {{ ref('mart_region_performance') }} as r
    inner join rules as m on m.metric_id = r.metric_id
    inner join periods as p on p.period = r.latest_period and p.frequency = m.frequency
    where r.is_complete_year and r.region_vs_england in ('better', 'worse', 'same')
),

-- as of each period, the latest complete year compared with England by then
england as (
    select *
    from (
        select distinct on (c.metric_id, c.period)
            c.metric_id, c.period, e.financial_year, e.region_value, e.england_value, e.region_vs_england
        from council_directions as c
        inner join periods as p on p.period = c.period
        inner join rules as m on m.metric_id = c.metric_id and m.frequency = p.frequency
        inner join england_years as e on e.metric_id = c.metric_id and e.year_end_index <= p.period_index
        order by c.metric_id asc, c.period asc, e.year_end_index desc
    ) as latest_comparison
    where region_vs_england = 'worse'
),

problems as (
    select
        e.metric_id,
        e.period,
        'worse_than_england'                                                        as problem_type,
        e.financial_year                                                            as as_of_period,
        e.region_value,
        e.england_value,
        null::bigint                                                                as councils_worsening,
        null::bigint                                                                as councils_compared,
        null::integer                                                               as worsening_periods,
        null::text                                                                  as worsening_since_period,
        null::numeric                                                               as worsening_from_value,
        'In ' || e.financial_year || ' the West Midlands figure was '
            || {{ readable_value('e.region_value', 'm.unit', 'm.normalised_unit') }} || ' against '
            || {{ readable_value('e.england_value', 'm.unit', 'm.normalised_unit') }} || ' for England.'
                                                                                    as detail
    from england as e
    inner join rules as m on m.metric_id = e.metric_id

    union all

    select
        s.metric_id                                                                 as metric_id,
        s.period                                                                    as period,
        'region_worsening'                                                          as problem_type,
        s.period                                                                    as as_of_period,
        s.region_value                                                              as region_value,
        null                                                                        as england_value,
        null                                                                        as councils_worsening,
        null                                                                        as councils_compared,
        s.worsening_periods                                                         as worsening_periods,
        s.worsening_since_period                                                    as worsening_since_period,
        s.worsening_from_value                                                      as worsening_from_value,
        'The regional figure has got worse ' || s.worsening_periods || ' periods in a row, from '
            || {{ readable_value('s.worsening_from_value', 'm.unit', 'm.normalised_unit') }} || ' before '
            || s.worsening_since_period || ' to '
            || {{ readable_value('s.region_value', 'm.unit', 'm.normalised_unit') }} || ' in ' || s.period || '.'
                                                                                    as detail
    from streak_ends as s
    inner join rules as m on m.metric_id = s.metric_id

    union all

    select
        c.metric_id                                                                 as metric_id,
        c.period                                                                    as period,
        'most_councils_worsening'                                                   as problem_type,
        c.period                                                                    as as_of_period,
        c.region_value                                                              as region_value,
        null                                                                        as england_value,
        c.worse_than_last_year                                                      as councils_worsening,
        c.comparable_last_year                                                      as councils_compared,
        null                                                                        as worsening_periods,
        null                                                                        as worsening_since_period,
        null                                                                        as worsening_from_value,
        c.worse_than_last_year || ' of ' || c.comparable_last_year || ' councils are worse in ' || c.period
            || ' than a year earlier (' || c.same_period_last_year || ').'
                                                                                    as detail
    from council_directions as c
    where c.comparable_last_year >= 3 and c.worse_than_last_year * 2 > c.comparable_last_year

    union all

    select
        c.metric_id                                                                 as metric_id,
        c.period                                                                    as period,
        'most_councils_trending_worse'                                              as problem_type,
        c.period                                                                    as as_of_period,
        c.region_value                                                              as region_value,
        null                                                                        as england_value,
        c.trending_worse                                                            as councils_worsening,
        c.with_trend                                                                as councils_compared,
        null                                                                        as worsening_periods,
        null                                                                        as worsening_since_period,
        null                                                                        as worsening_from_value,
        c.trending_worse || ' of ' || c.with_trend || ' councils have been getting worse over the last '
            || {{ var('trend_periods') | int }} || ' periods to ' || c.period || ' (least-squares trend).'
                                                                                    as detail
    from council_directions as c
    where c.with_trend >= 3 and c.trending_worse * 2 > c.with_trend
)

select
    p.metric_id,
    m.metric_name,
    m.service_area,
    m.polarity,
    m.normalised_unit                                                               as unit,
    p.period,
    m.frequency,
    d.period_index,
    coalesce(p.period = l.period, false)                                            as is_latest,
    p.problem_type,
    p.as_of_period,
    p.region_value,
    p.england_value,
    p.councils_worsening,
    p.councils_compared,
    p.worsening_periods,
    p.worsening_since_period,
    p.worsening_from_value,
    m.metric_name || ': ' || p.detail || ' '
        || case m.polarity when 'higher_is_better' then 'Higher is better.' else 'Lower is better.' end
                                                                                    as reason
from problems as p
inner join rules as m on m.metric_id = p.metric_id
inner join periods as d on d.period = p.period and d.frequency = m.frequency
left join latest as l on l.metric_id = p.metric_id
