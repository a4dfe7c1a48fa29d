-- Context statistics from public sources (catalogue polarity 'context': population, the
-- 18-24 claimant count, qualifications, business counts, productivity, deprivation, land
-- area) describe a council's area and are never ranked: none may reach the facts or the
-- benchmarks (int_public__council_values leaves them out; mart_council_context and
-- mart_region_economy show them). Returns offending rows.
with context_statistics as (
    select metric_id
    from {{ ref('int_metric_rules') }}
    where polarity = 'context'
      and source <> 'council_return'
)

select 'fct_metric_value' as found_in, f.metric_id, f.council_code, f.period
from {{ ref('fct_metric_value') }} as f
inner join context_statistics as c on c.metric_id = f.metric_id

union all

select 'mart_benchmark' as found_in, b.metric_id, b.council_code, b.period
from {{ ref('mart_benchmark') }} as b
inner join context_statistics as c on c.metric_id = b.metric_id
