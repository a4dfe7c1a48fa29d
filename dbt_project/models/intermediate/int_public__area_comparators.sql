-- Published figures for the West Midlands (E12000005) and England (E92000001) that a
-- metric's annual regional value can be set against, one row per metric and financial
-- year, rounded to 6 decimals as the marts' own values are:
--   econ_claimant_rate                    mean of the monthly NOMIS rates in the year (a
--                                         part of the year until all 12 are published);
--   waste_defra_household_recycling_rate  DEFRA's annual rate;
--   waste_household_recycling_rate        the same DEFRA rate: the audited annual
--                                         version of the quarterly rate councils return.
-- comparator_whole_year says whether the figure is for the whole year, so a region's
-- part-year is only set against the same part (mart_region_performance).
with claimant as (
    select
        {{ fy_label("extract(year from month_start - interval '3 months')::integer") }} as financial_year,
        area_level,
        avg(claimant_rate)          as rate,
        count(claimant_rate)        as months
    from {{ ref('stg_nomis__claimant_count') }}
    where area_level in ('region', 'country')
    group by financial_year, area_level
),

claimant_years as (
    select
        'econ_claimant_rate'                                            as metric_id,
        financial_year,
        round(max(rate) filter (where area_level = 'country'), 6)       as england_value,
        round(max(rate) filter (where area_level = 'region'), 6)        as region_published_value,
        'NOMIS claimant count (NM_162_1): mean of ' || max(months) || ' monthly rates' as comparator_source,
        max(months)                                                     as comparator_periods,
        max(months) = 12                                                as comparator_whole_year
    from claimant
    group by financial_year
),

recycling as (
    select
        financial_year,
        max(recycling_rate_pct) filter (where area_level = 'country')   as england_value,
        max(recycling_rate_pct) filter (where area_level = 'region')    as region_published_value
    from {{ ref('stg_defra__household_recycling') }}
    where area_level in ('region', 'country')
    group by financial_year
)

select * from claimant_years
union all
select
    m.metric_id,
    r.financial_year,
    round(r.england_value::numeric, 6)                                      as england_value,
    round(r.region_published_value::numeric, 6)                             as region_published_value,
    'DEFRA local authority collected waste statistics (annual, ex NI 192)'  as comparator_source,
    1                                                                       as comparator_periods,
    true                                                                    as comparator_whole_year
from recycling as r
cross join (values ('waste_defra_household_recycling_rate'), ('waste_household_recycling_rate')) as m (metric_id)
