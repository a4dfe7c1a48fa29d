-- The annual report's Economy section: the West Midlands against England and the UK
-- (where the source publishes the UK) on each economy indicator, at the latest period,
-- with the value a year earlier and the change. One row per indicator and area.
--   period           the latest period with a West Midlands value (else the latest with
--                    any value); England and the UK are shown for the same period, so the
--                    areas are always compared like for like;
--   previous_period  the same period a year earlier: the same month for the claimant
--                    rates, the 12 months to the same month for the Annual Population
--                    Survey, the year before for annual figures;
--   change           value - previous_value, in the indicator's unit (percentage points
--                    for percentages); null when either is missing.
-- Qualifications: RQF4+ replaced NVQ4+ from the 2022 data, a different series. RQF4+ is
-- never set against NVQ4+, nor against an RQF4+ figure from before 2022: across the break
-- there is no previous value and no change, and the note says so.
-- Only published area figures: deprivation (IoD) is published for councils only, so it is
-- not here (mart_council_context has it) rather than made up from the councils.
{% set series_break_year = 2022 %}

with claimant as (
    select area_code, area_level, period, claimant_rate, claimant_rate_18_24
    from {{ ref('stg_nomis__claimant_count') }}
    where area_level in ('region', 'country', 'uk')
),

businesses as (
    select area_code, area_level, year, enterprises_total, enterprises_manufacturing
    from {{ ref('stg_nomis__business_counts') }}
    where area_level in ('region', 'country', 'uk')
),

productivity as (
    select area_code, area_level, year, gva_per_hour_gbp, gva_per_hour_index
    from {{ ref('stg_ons__productivity') }}
    where area_level in ('region', 'country', 'uk')
),

-- one row per indicator, area and period: the published figure (or the derived one)
observations as (
    select
        'econ_claimant_rate'                                        as indicator_id,
        area_code, area_level, period,
        claimant_rate                                               as value,
        null::text                                                  as detail
    from claimant
    union all
    select
        'econ_claimant_rate_18_24'                                  as indicator_id,
        area_code, area_level, period,
        claimant_rate_18_24                                         as value,
        null::text                                                  as detail
    from claimant
    union all
    select
        'econ_qual_rqf4_pct'                                        as indicator_id,
        area_code, area_level, period,
        value,
        null::text                                                  as detail
    from {{ ref('stg_nomis__qualifications') }}
    where series = 'RQF4+' and area_level in ('region', 'country', 'uk')
    union all
    select
        'econ_gva_per_hour_gbp'                                     as indicator_id,
        area_code, area_level,
        year::text                                                  as period,
        gva_per_hour_gbp                                            as value,
        null::text                                                  as detail
    from productivity
    union all
    select
        'econ_gva_per_hour_index'                                   as indicator_id,
        area_code, area_level,
        year::text                                                  as period,
        gva_per_hour_index                                          as value,
        null::text                                                  as detail
    from productivity
    union all
    select
        'econ_enterprises_total'                                    as indicator_id,
        area_code, area_level,
        year::text                                                  as period,
        enterprises_total                                           as value,
        null::text                                                  as detail
    from businesses
    union all
    select
        'econ_manufacturing_share_pct'                              as indicator_id,
        area_code, area_level,
        year::text                                                  as period,
        round(100.0 * enterprises_manufacturing / nullif(enterprises_total, 0), 2) as value,
        null::text                                                  as detail
    from businesses
    union all
    select
        'econ_residents_per_hectare'                                as indicator_id,
        area_code, area_level,
        population_year::text                                       as period,
        round(residents_per_hectare, 2)                             as value,
        'Mid-year population estimate ' || population_year || ' over the land area of the Standard Area '
        || 'Measurements ' || land_area_release                     as detail
    from {{ ref('int_public__area_density') }}
    where area_level in ('region', 'country', 'uk')
),

indicators as (
    select *
    from (values
        ('econ_claimant_rate', 'Claimant rate (% of residents aged 16-64)', 'percent',
         'NOMIS/ONS claimant count (NM_162_1), all ages; the same month a year earlier'),
        ('econ_claimant_rate_18_24', 'Claimant rate aged 18-24 (% of residents aged 18-24)', 'percent',
         'NOMIS/ONS claimant count (NM_162_1), age 18-24; the same month a year earlier'),
        ('econ_qual_rqf4_pct', 'Residents aged 16-64 qualified to RQF level 4 or above (%)', 'percent',
         'NOMIS/ONS Annual Population Survey (NM_17_5), RQF4+, 12 months to December'),
        ('econ_gva_per_hour_gbp', 'GVA per hour worked (£, current prices, smoothed)', 'gbp',
         'ONS subregional productivity, GVA per hour worked'),
        ('econ_gva_per_hour_index', 'GVA per hour worked index (UK = 100)', 'index',
         'ONS subregional productivity, GVA per hour worked (UK = 100)'),
        ('econ_enterprises_total', 'Enterprises: all sizes', 'count',
         'ONS/NOMIS UK Business Counts, enterprises (NM_142_1), March of the year'),
        ('econ_manufacturing_share_pct', 'Manufacturing enterprises (% of all enterprises)', 'percent',
         'ONS/NOMIS UK Business Counts, enterprises (NM_142_1): manufacturing (SIC 2007 C) / all'),
        ('econ_residents_per_hectare', 'Population density (residents per hectare)', 'per hectare',
         'ONS mid-year population estimates (NOMIS NM_2002_1) and Standard Area Measurements')
    ) as i (indicator_id, indicator_name, unit, source)
),

latest as (
    select
        indicator_id,
        coalesce(
            max(period) filter (where area_level = 'region' and value is not null),
            max(period) filter (where value is not null)
        ) as period
    from observations
    group by indicator_id
),

-- every area with a figure for the indicator in any period, at the indicator's latest
-- period ('2026-05' -> '2025-05', '2024-12' -> '2023-12', '2024' -> '2023')
rows_wanted as (
    select distinct
        o.indicator_id,
        o.area_code,
        o.area_level,
        l.period,
        (left(l.period, 4)::integer - 1)::text || substr(l.period, 5)  as previous_period
    from observations as o
    inner join latest as l on l.indicator_id = o.indicator_id
    where o.value is not null
),

compared as (
    select
        w.*,
        cur.value,
        cur.detail,
        case
            when w.indicator_id = 'econ_qual_rqf4_pct'
                and left(w.previous_period, 4)::integer < {{ series_break_year }} then null
            else prev.value
        end                                                         as previous_value,
        w.indicator_id = 'econ_qual_rqf4_pct'
        and left(w.previous_period, 4)::integer < {{ series_break_year }} as across_series_break
    from rows_wanted as w
    left join observations as cur
        on cur.indicator_id = w.indicator_id and cur.area_code = w.area_code and cur.period = w.period
    left join observations as prev
        on prev.indicator_id = w.indicator_id and prev.area_code = w.area_code and prev.period = w.previous_period
)

select
    c.indicator_id,
    i.indicator_name,
    i.unit,
    c.area_code,
    case c.area_level
        when 'region' then 'West Midlands'
        when 'country' then 'England'
        when 'uk' then 'United Kingdom'
    end                                                             as area_name,
    c.area_level,
    c.period,
    c.value,
    c.previous_period,
    c.previous_value,
    c.value - c.previous_value                                      as change,
    i.source,
    nullif(concat_ws('; ',
        case when c.value is null then 'Not published for ' || c.period end,
        case
            when c.across_series_break
                then 'Series break: RQF4+ replaced NVQ4+ from the 2022 data, so no change is computed across it'
        end,
        c.detail
    ), '')                                                          as note
from compared as c
inner join indicators as i on i.indicator_id = c.indicator_id
