-- A trend whose published slope is 0 is 'no change', never improving or worsening: the
-- direction is read from the published slope, not regr_slope's float (a constant series
-- gives about -1.6e-17 there). Found by the independent oracle (tests/oracle/).
select council_code, metric_id, period, group_type, trend_slope, trend_direction
from {{ ref('mart_benchmark') }}
where trend_slope = 0 and trend_direction in ('improving', 'worsening')
union all
select
    'E12000005' as council_code,
    metric_id,
    financial_year as period,
    'region' as group_type,
    region_trend_slope as trend_slope,
    region_trend_direction as trend_direction
from {{ ref('mart_region_performance') }}
where region_trend_slope = 0 and region_trend_direction in ('improving', 'worsening')
