-- Public statistics that are metrics of a council: the claimant count and rate (monthly)
-- and DEFRA's household recycling rate (financial year), for the member councils whose
-- tier the catalogue says the metric describes (so the counties, whose figures are the
-- sum over their districts, are left out). Same columns as int_returns__latest_values,
-- so fct_metric_value treats both alike.
-- Context statistics (catalogue polarity 'context': population, the 18-24 claimant
-- count, qualifications, business counts, productivity, deprivation, land area) describe
-- a council's area and are never ranked, so they never reach the facts: they are left
-- out by polarity, not by their periods (an Annual Population Survey period '2011-12'
-- reads like the financial year 2011-12, and the 18-24 months like any month).
-- mart_council_context and mart_region_economy show them.
with observations as (
    select * from {{ ref('stg_public__observations') }}
    where area_level = 'council'
),

rules as (
    select metric_id, frequency, delivering_tiers
    from {{ ref('int_metric_rules') }}
    where source <> 'council_return'
      and polarity <> 'context'
),

claimant_counts as (
    select area_code, period, value as claimant_count
    from observations
    where metric_id = 'econ_claimant_count'
)

select
    o.area_code                                             as council_code,
    o.metric_id,
    o.period,
    -- NOMIS publishes the rate without its numerator: the count of the same month
    case when o.metric_id = 'econ_claimant_rate' then c.claimant_count end as numerator,
    o.value,
    case when o.value is null then 'suppressed' else 'published' end as value_status,
    case when o.value is null then 'Not published (' || coalesce(o.obs_status, 'no status') || ')' end as note,
    o.submission_id,
    o.fetched_at                                            as received_at,
    s.status_changed_at                                     as loaded_at
from observations as o
inner join rules as m on m.metric_id = o.metric_id
inner join {{ ref('stg_reference__council_registry') }} as r
    on r.council_code = o.area_code and r.tier = any(string_to_array(m.delivering_tiers, ','))
inner join {{ ref('dim_period') }} as p
    on p.period = o.period and p.frequency = m.frequency
inner join {{ ref('stg_ops__submissions') }} as s on s.submission_id = o.submission_id
left join claimant_counts as c
    on c.area_code = o.area_code and c.period = o.period
