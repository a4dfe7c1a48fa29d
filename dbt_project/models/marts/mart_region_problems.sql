-- Where the region as a whole has a problem, one row per metric and problem, as of the
-- metric's latest period, with a plain-English reason. Context metrics have no better or
-- worse and never appear. A metric can have several problems:
--   worse_than_england        the region's value for the latest financial year with an
--                             England comparator is worse than England's;
--   region_worsening          the regional aggregate (mart_benchmark.regional_value) got
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

benchmark_region as (
    select b.*
    from {{ ref('mart_benchmark') }} as b
    inner join rules as m on m.metric_id = b.metric_id
    where b.group_type = 'region'
),

latest as (
    select metric_id, max(period_index) as latest_index
    from benchmark_region
    group by metric_id
),

regional_series as (
    select distinct metric_id, period, period_index, regional_value
    from benchmark_region
    where regional_value is not null
),

regional_steps as (
    select
        s.*,
        prev.regional_value                                                         as previous_regional_value,
        {{ direction_of_travel('s.regional_value', 'prev.regional_value', 'm.polarity') }} as step
    from regional_series as s
    inner join rules as m on m.metric_id = s.metric_id
    left join regional_series as prev
        on prev.metric_id = s.metric_id and prev.period_index = s.period_index - 1
),

streaks as (
    select
        s.metric_id,
        l.latest_index - coalesce(max(s.period_index) filter (where s.step <> 'worsening'), min(s.period_index) - 1)
                                                                                    as worsening_periods
    from regional_steps as s
    inner join latest as l on l.metric_id = s.metric_id
    where s.period_index <= l.latest_index
    group by s.metric_id, l.latest_index
),

streak_ends as (
    select
        st.metric_id,
        st.worsening_periods,
        first_period.period                                                         as streak_from_period,
        first_period.previous_regional_value                                        as streak_from_value,
        last_period.period                                                          as streak_to_period,
        last_period.regional_value                                                  as streak_to_value
    from streaks as st
    inner join latest as l on l.metric_id = st.metric_id
    inner join regional_steps as last_period
        on last_period.metric_id = st.metric_id and last_period.period_index = l.latest_index
    left join regional_steps as first_period
        on first_period.metric_id = st.metric_id
       and first_period.period_index = l.latest_index - st.worsening_periods + 1
    where st.worsening_periods >= {{ streak }}
),

council_directions as (
    select
        b.metric_id,
        max(b.period)                                                               as period,
        max(b.same_period_last_year)                                                as same_period_last_year,
        max(b.regional_value)                                                       as regional_value,
        count(*) filter (where b.direction_vs_last_year = 'worsening')              as worse_than_last_year,
        count(*) filter (where b.direction_vs_last_year <> 'not comparable')        as comparable_last_year,
        count(*) filter (where b.trend_direction = 'worsening')                     as trending_worse,
        count(*) filter (where b.trend_direction <> 'not comparable')               as with_trend
    from benchmark_region as b
    inner join latest as l on l.metric_id = b.metric_id and l.latest_index = b.period_index
    group by b.metric_id
),

england as (
    -- the latest complete year with an England comparator (the latest part-year if none)
    select *
    from (
        select distinct on (metric_id)
            metric_id, financial_year, region_value, england_value, unit, region_vs_england
        from {{ ref('mart_region_performance') }}
        where region_vs_england is not null
        order by metric_id, is_complete_year desc, financial_year desc
    ) as latest_comparison
    where region_vs_england = 'worse'
),

problems as (
    select
        e.metric_id,
        'worse_than_england'                                                        as problem_type,
        e.financial_year                                                            as as_of_period,
        e.region_value                                                              as regional_value,
        e.england_value,
        null::integer                                                               as councils_worsening,
        null::integer                                                               as councils_compared,
        null::integer                                                               as worsening_periods,
        'In ' || e.financial_year || ' the West Midlands figure was '
            || {{ readable_value('e.region_value', 'e.unit') }} || ' against '
            || {{ readable_value('e.england_value', 'e.unit') }} || ' for England.'  as detail
    from england as e

    union all

    select
        s.metric_id,
        'region_worsening',
        s.streak_to_period,
        s.streak_to_value,
        null,
        null,
        null,
        s.worsening_periods,
        'The regional figure has got worse ' || s.worsening_periods || ' periods in a row, from '
            || {{ readable_value('s.streak_from_value', 'm.normalised_unit') }} || ' before '
            || s.streak_from_period || ' to ' || {{ readable_value('s.streak_to_value', 'm.normalised_unit') }}
            || ' in ' || s.streak_to_period || '.'
    from streak_ends as s
    inner join rules as m on m.metric_id = s.metric_id

    union all

    select
        c.metric_id,
        'most_councils_worsening',
        c.period,
        c.regional_value,
        null,
        c.worse_than_last_year,
        c.comparable_last_year,
        null,
        c.worse_than_last_year || ' of ' || c.comparable_last_year || ' councils are worse in ' || c.period
            || ' than a year earlier (' || c.same_period_last_year || ').'
    from council_directions as c
    where c.comparable_last_year >= 3 and c.worse_than_last_year * 2 > c.comparable_last_year

    union all

    select
        c.metric_id,
        'most_councils_trending_worse',
        c.period,
        c.regional_value,
        null,
        c.trending_worse,
        c.with_trend,
        null,
        c.trending_worse || ' of ' || c.with_trend || ' councils have been getting worse over the last '
            || {{ var('trend_periods') | int }} || ' periods to ' || c.period || ' (least-squares trend).'
    from council_directions as c
    where c.with_trend >= 3 and c.trending_worse * 2 > c.with_trend
)

select
    p.metric_id,
    m.metric_name,
    m.service_area,
    m.polarity,
    m.normalised_unit                                                               as unit,
    p.problem_type,
    p.as_of_period,
    p.regional_value,
    p.england_value,
    p.councils_worsening,
    p.councils_compared,
    p.worsening_periods,
    m.metric_name || ': ' || p.detail || ' '
        || case m.polarity when 'higher_is_better' then 'Higher is better.' else 'Lower is better.' end
                                                                                    as reason
from problems as p
inner join rules as m on m.metric_id = p.metric_id
