-- The nearest-neighbour model itself, one row per feature: what it is, where it comes
-- from, the weight it was built with (var('neighbour_weights'), var('neighbour_tier_weight')),
-- how many councils have a figure (a council without one has z-score 0 for it, see
-- int_council__features) and the mean and spread its z-scores are taken over. With
-- mart_council_neighbours (each feature's part of each distance) it is the whole model.
with features as (
    select * from {{ ref('int_council__features') }}
),

-- One row per council and feature: the value the z-score is taken of, and its period.
council_values as (
    select
        f.council_code,
        v.feature,
        v.feature_value,
        v.period
    from features as f
    cross join lateral (
        values
        ('population', f.log_population, f.population_year::text),
        ('share_16_64', f.share_16_64, f.population_year::text),
        ('claimant_rate', f.claimant_rate, f.claimant_first_month || ' to ' || f.claimant_last_month),
        ('deprivation', f.imd_avg_score, f.imd_period),
        ('density', f.log_density, f.land_area_period),
        ('tier', case when f.tier is not null then 1 end, null)
    ) as v (feature, feature_value, period)
),

coverage as (
    select
        feature,
        string_agg(distinct period, ', ' order by period)  as periods,
        count(feature_value)                                as councils_with_figure,
        count(*) - count(feature_value)                     as councils_imputed,
        round(avg(feature_value), 6)                        as feature_mean,
        round(stddev_pop(feature_value), 6)                 as feature_sd
    from council_values
    group by feature
),

model as (
    select *
    from (
        values
        (1, 'population', 'Number of residents', {{ neighbour_weight('population') }},
         'ln(residents) of the latest mid-year estimate, z-scored over the councils',
         'ONS mid-year population estimates (NOMIS NM_2002_1)', 'econ_population_all_ages'),
        (2, 'share_16_64', 'Share of residents aged 16-64', {{ neighbour_weight('share_16_64') }},
         'Residents aged 16-64 / all residents (the age profile), z-scored over the councils',
         'ONS mid-year population estimates (NOMIS NM_2002_1)', 'econ_population_16_64, econ_population_all_ages'),
        (3, 'claimant_rate', 'Claimant rate', {{ neighbour_weight('claimant_rate') }},
         'Mean claimant rate (% of residents aged 16-64) over the latest 12 published months, z-scored over '
         || 'the councils',
         'DWP claimant count (NOMIS NM_162_1)', 'econ_claimant_rate'),
        (4, 'deprivation', 'Deprivation (IMD average score)', {{ neighbour_weight('deprivation') }},
         'Index of Multiple Deprivation average score (higher is more deprived; a county''s own upper-tier '
         || 'figure), z-scored over the councils that have one; a council without one counts as the mean '
         || '(z-score 0)',
         'MHCLG English Indices of Deprivation 2025, local authority summaries (File 10; File 11 for counties)',
         'econ_imd_avg_score'),
        (5, 'density', 'Residents per hectare', {{ neighbour_weight('density') }},
         'ln(residents of the latest mid-year estimate / hectares of land of the latest release), z-scored '
         || 'over the councils that have one; a council without one counts as the mean (z-score 0)',
         'ONS Standard Area Measurements (land area, AREALHECT) and mid-year population estimates',
         'econ_land_area_hectares, econ_population_all_ages'),
        (6, 'tier', 'Type of council', {{ var('neighbour_tier_weight') | float }},
         'Metropolitan borough, unitary, county or district as a one-hot: a different type adds '
         || '2 x weight^2 to the squared distance, the same type 0',
         'The council registry (seed council_registry)', null)
    ) as m (feature_order, feature, feature_name, weight, definition, source, metric_ids)
)

select
    m.feature_order,
    m.feature,
    m.feature_name,
    m.weight::numeric                                           as weight,
    m.definition,
    m.source,
    m.metric_ids,
    c.periods,
    c.councils_with_figure,
    c.councils_imputed,
    case when m.feature <> 'tier' then c.feature_mean end      as feature_mean,
    case when m.feature <> 'tier' then c.feature_sd end        as feature_sd
from model as m
left join coverage as c on c.feature = m.feature
