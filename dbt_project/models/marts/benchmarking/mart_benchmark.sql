{#-
    How each council compares, one row per council, metric, period and comparison group
    the council belongs to (region, tier, county family for two-tier councils, its nearest
    neighbours). Built on normalised values (fct_metric_value), for the councils whose tier
    delivers the metric. The rules (polarity ranks, quartiles, the smallest group ranked,
    outlier score, directions) live in macros/rules/ and are documented in
    _marts__benchmarking.yml.

    Incremental (delete+insert by metric and period). Group statistics need every council
    of a metric and period, and comparisons look back, so a run recomputes whole
    metric-periods: those with a fact written since this table was last written, those
    with a council that dropped out, and the periods whose comparisons reach back to them
    (the next period, the same period a year later and the next trend_periods - 1 periods).
    To compute them it reads facts from max(periods a year, trend_periods - 1) periods
    earlier. A new month is one metric-period per monthly metric plus its look-back.
    When the fingerprint of the groups, catalogue, registry or population changes, every
    period is recomputed.

    Indexed on the key and on dbt_updated_at: the delete+insert, the hooks and the
    watermark reads would otherwise scan all of history on every build.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['metric_id', 'period'],
        on_schema_change='fail',
        indexes=[{'columns': ['metric_id', 'period']}, {'columns': ['dbt_updated_at']}],
        pre_hook=["set local work_mem = '64MB'"]
    )
}}
-- depends_on: {{ ref('int_build__fingerprints') }}

{% set trend_periods = var('trend_periods') | int %}
{% set lookback = [12, trend_periods - 1] | max %}

with rules as (
    select * from {{ ref('int_metric_rules') }}
),

periods as (
    select period, frequency, period_index, previous_period, same_period_last_year
    from {{ ref('dim_period') }}
),

groups as (
    select * from {{ ref('int_council__comparison_groups') }}
),

facts as (
    select
        f.council_code, f.metric_id, f.period, f.value, f.normalised_value, f.value_status,
        f.norm_numerator, f.norm_denominator, f.norm_scale, f.dbt_updated_at,
        p.frequency, p.period_index, p.previous_period, p.same_period_last_year
    from {{ ref('fct_metric_value') }} as f
    inner join periods as p on p.period = f.period and p.frequency = f.frequency
),

{% if is_incremental() %}
{{ incremental_since('benchmark_fingerprint', 'facts_since') }},

changed as (
    select distinct f.metric_id, f.frequency, f.period_index
    from facts as f
    where f.dbt_updated_at > (select watermark from facts_since)
    union
    -- a council whose value is gone (or no longer a number) changes its groups' figures
    select b.metric_id, p.frequency, p.period_index
    from {{ this }} as b
    inner join periods as p on p.period = b.period and p.frequency = b.frequency
    where b.group_type = 'region'
      and not exists (
          select 1 from facts as f
          where f.council_code = b.council_code and f.metric_id = b.metric_id and f.period = b.period
            and f.normalised_value is not null)
),

affected as (
    select distinct c.metric_id, p.period, p.period_index
    from changed as c
    inner join rules as m on m.metric_id = c.metric_id
    inner join periods as p
        on p.frequency = c.frequency
       and p.period_index between c.period_index
                              and c.period_index + greatest(m.periods_per_year, {{ trend_periods - 1 }})
    where exists (select 1 from facts as f where f.metric_id = c.metric_id and f.period = p.period)
),

affected_ranges as (
    select metric_id, min(period_index) - {{ lookback }} as from_index, max(period_index) as to_index
    from affected
    group by metric_id
),
{% endif %}

window_facts as (
    select f.*
    from facts as f
    {% if is_incremental() %}
    inner join affected_ranges as a
        on a.metric_id = f.metric_id and f.period_index between a.from_index and a.to_index
    {% endif %}
),

-- each council's own comparisons: previous period, same period last year, 12-period
-- trend. Window frames over period_index (consecutive within a frequency), so a missing
-- period is missing, never silently replaced by an older one.
series as (
    select
        f.*,
        max(f.normalised_value) over (own range between 1 preceding and 1 preceding)     as previous_value,
        case f.frequency
            when 'monthly' then max(f.normalised_value) over (own range between 12 preceding and 12 preceding)
            when 'quarterly' then max(f.normalised_value) over (own range between 4 preceding and 4 preceding)
            else max(f.normalised_value) over (own range between 1 preceding and 1 preceding)
        end                                                                              as last_year_value,
        regr_slope(f.normalised_value, f.period_index) over trend                        as trend_slope,
        count(f.normalised_value) over trend                                             as trend_periods
    from window_facts as f
    window
        own as (partition by f.council_code, f.metric_id order by f.period_index),
        trend as (own range between {{ trend_periods - 1 }} preceding and current row)
),

current_values as (
    select
        s.*,
        m.polarity,
        m.is_regional_total,
        m.is_year_to_date
    from series as s
    inner join rules as m on m.metric_id = s.metric_id
    where s.normalised_value is not null
    {% if is_incremental() %}
      and exists (select 1 from affected as a where a.metric_id = s.metric_id and a.period = s.period)
    {% endif %}
),

-- one row per group a council's value is compared in (only councils whose tier delivers it)
expanded as (
    select
        g.group_type,
        g.group_id,
        g.group_label,
        g.owner_council_code,
        g.member_tier,
        c.*,
        -- counted in the regional aggregate: sum of numerators over sum of denominators over
        -- the councils whose tier is in the metric's aggregate tiers (never a county and its
        -- districts for the same area), with both parts reported
        g.group_type = 'region'
            and g.member_tier = any(string_to_array(m.aggregate_tiers, ','))
            and c.norm_numerator is not null
            and (c.is_regional_total or c.norm_denominator is not null)                  as in_regional_aggregate
    from current_values as c
    inner join rules as m on m.metric_id = c.metric_id
    inner join groups as g on g.member_council_code = c.council_code
    where g.member_tier = any(string_to_array(m.delivering_tiers, ','))
),

-- Group statistics with window functions only (median and MAD by position in the
-- ordered group): no self-joins, so the plan cannot degrade on fresh tables.
ranked as (
    select
        e.*,
        count(*) over grp                                                                as group_size,
        row_number() over (grp order by e.normalised_value)                              as value_order,
        avg(e.normalised_value) over grp                                                 as group_mean,
        min(e.normalised_value) over grp                                                 as group_min,
        max(e.normalised_value) over grp                                                 as group_max,
        case e.polarity
            when 'higher_is_better' then rank() over (grp order by e.normalised_value desc)
            when 'lower_is_better' then rank() over (grp order by e.normalised_value asc)
        end                                                                              as rank_in_group,
        rank() over (grp order by e.normalised_value desc)                               as position_high_to_low,
        count(*) filter (where e.in_regional_aggregate) over metric_period               as regional_councils,
        sum(e.norm_numerator) filter (where e.in_regional_aggregate) over metric_period  as regional_numerator,
        sum(e.norm_denominator) filter (where e.in_regional_aggregate) over metric_period as regional_denominator
    from expanded as e
    window
        grp as (partition by e.group_id, e.metric_id, e.period),
        metric_period as (partition by e.metric_id, e.period)
),

with_median as (
    select
        r.*,
        avg(r.normalised_value) filter (
            where r.value_order in ((r.group_size + 1) / 2, (r.group_size + 2) / 2)) over grp as group_median
    from ranked as r
    window grp as (partition by r.group_id, r.metric_id, r.period)
),

with_deviation as (
    select
        m.*,
        abs(m.normalised_value - m.group_median)                                         as abs_deviation,
        row_number() over (grp order by abs(m.normalised_value - m.group_median))        as deviation_order
    from with_median as m
    window grp as (partition by m.group_id, m.metric_id, m.period)
),

spread as (
    select
        d.*,
        avg(d.abs_deviation) filter (
            where d.deviation_order in ((d.group_size + 1) / 2, (d.group_size + 2) / 2)) over grp as group_mad,
        avg(d.abs_deviation) over grp                                                    as group_mean_abs_dev,
        -- a group too small to compare publishes no rank (macros/rules/group_size.sql)
        case when {{ group_is_ranked('d.group_size') }} then d.rank_in_group end        as published_rank,
        case
            when d.is_regional_total then d.regional_numerator
            else d.norm_scale * d.regional_numerator / nullif(d.regional_denominator, 0)
        end                                                                              as region_value
    from with_deviation as d
    window grp as (partition by d.group_id, d.metric_id, d.period)
)

select
    r.council_code,
    r.metric_id,
    r.period,
    r.frequency,
    r.period_index,
    r.group_type,
    r.group_id,
    r.group_label,
    r.polarity,
    r.value,
    r.normalised_value,
    r.value_status,
    r.group_size,
    r.published_rank                                                                as rank,
    {{ quartile_from_rank('r.published_rank', 'r.group_size') }}                    as quartile,
    {{ not_ranked_reason('r.group_size') }}                                         as not_ranked_reason,
    r.position_high_to_low,
    round(r.group_median, 6)                                                        as group_median,
    round(r.group_mean, 6)                                                          as group_mean,
    r.group_min,
    r.group_max,
    round(r.group_mad, 6)                                                           as group_mad,
    round({{ outlier_score('r.normalised_value', 'r.group_median', 'r.group_mad', 'r.group_mean_abs_dev') }}, 4)
                                                                                    as outlier_score,
    case
        when r.group_mad > 0 then 'median absolute deviation'
        when r.normalised_value <> r.group_median and r.group_mean_abs_dev > 0 then 'mean absolute deviation (MAD is 0)'
    end                                                                             as outlier_scale,
    coalesce(abs({{ outlier_score('r.normalised_value', 'r.group_median', 'r.group_mad', 'r.group_mean_abs_dev') }})
             >= {{ var('outlier_threshold') }}, false)                              as is_outlier,
    {{ compare_by_polarity('r.normalised_value', 'r.group_median', 'r.polarity') }} as vs_group_median,
    round(r.region_value, 6)                                                        as region_value,
    r.regional_councils,
    case when not r.is_regional_total
         then {{ compare_by_polarity('r.normalised_value', 'round(r.region_value, 6)', 'r.polarity') }}
    end                                                                             as vs_region,
    r.previous_period,
    r.previous_value,
    r.normalised_value - r.previous_value                                           as change_vs_previous,
    case when r.is_year_to_date then 'not comparable'
         else {{ direction_of_travel('r.normalised_value', 'r.previous_value', 'r.polarity') }}
    end                                                                             as direction_vs_previous,
    r.same_period_last_year,
    r.last_year_value,
    r.normalised_value - r.last_year_value                                          as change_vs_last_year,
    {{ direction_of_travel('r.normalised_value', 'r.last_year_value', 'r.polarity') }} as direction_vs_last_year,
    r.trend_periods,
    case when not r.is_year_to_date then {{ published_slope('r.trend_slope') }} end   as trend_slope,
    case when r.is_year_to_date then 'not comparable'
         else {{ trend_direction('r.trend_slope', 'r.trend_periods', 'r.polarity') }}
    end                                                                             as trend_direction,
    (select benchmark_fingerprint from {{ ref('int_build__fingerprints') }})        as benchmark_fingerprint,
    now()                                                                           as dbt_updated_at
from spread as r
where r.owner_council_code is null or r.owner_council_code = r.council_code
