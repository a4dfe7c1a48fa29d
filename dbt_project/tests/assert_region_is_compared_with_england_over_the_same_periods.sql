-- A region's year is set against England's figure only over the same periods: a complete
-- year, or a part-year against England's figure for the same part. Never a part-year
-- against England's whole year (2 of 4 quarters "better than England" while the whole
-- year, DEFRA-published, is worse).
select r.financial_year, r.metric_id, r.periods_covered, r.periods_expected, a.comparator_periods,
       a.comparator_whole_year, r.region_vs_england
from {{ ref('mart_region_performance') }} as r
inner join {{ ref('int_public__area_comparators') }} as a
    on a.metric_id = r.metric_id and a.financial_year = r.financial_year
where r.region_vs_england in ('better', 'worse', 'same')
  and not r.is_complete_year
  and (a.comparator_whole_year or a.comparator_periods <> r.periods_covered)
