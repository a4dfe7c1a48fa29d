-- DEFRA household waste recycling rate (ex NI 192), one row per area and financial year,
-- as published in the LA and regional spreadsheet (Table 3), in percent.
select
    area_code,
    area_name,
    area_level,
    period                                                   as financial_year,
    left(period, 4)::integer                                 as year_start,
    make_date(left(period, 4)::integer + 1, 3, 31)           as year_end,
    value                                                    as recycling_rate_pct,
    obs_status                                               as suppression_marker,
    value is null                                            as is_suppressed,
    submission_id
from {{ ref('stg_public__observations') }}
where dataset_id = 'defra_waste'
  and metric_id = 'waste_defra_household_recycling_rate'
