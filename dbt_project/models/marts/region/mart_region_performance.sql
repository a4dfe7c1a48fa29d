-- The region's year: one row per financial year and metric (grouped by service area),
-- for the annual "Performance of the Region" report.
--
-- Annual values. A council's value for the year is norm_scale x sum of its normalised
-- numerators / sum of its denominators over the year's periods (a weighted average of the
-- year; counts per 1,000 residents are the average per period); counts with no population
-- basis are the average per period. Year-to-date and rolling metrics
-- (var('year_to_date_metrics'), var('rolling_metrics')) take the year's latest period instead. The region's value
-- is the same sum over the councils whose tier is in the metric's aggregate tiers (see
-- int_metric_rules: a county and its districts never both), or, when no council reports
-- numerator and denominator (DEFRA publishes rates only), the published regional figure.
-- England, and the published West Midlands figure, come from int_public__area_comparators
-- where a public comparator exists. A year with periods missing is never set against
-- England's figure for the whole year (2 of 4 quarters can be better than England's year
-- and the full year worse): region_vs_england is then 'not comparable', and
-- region_vs_england_withheld_reason says why; a part-year is compared when England's
-- figure is for the same part (claimant rates published so far).
--
-- Improving or worsening: region_trend_direction is the least-squares trend of the
-- regional value over the var('trend_periods') periods up to the year's latest period;
-- councils_improving / councils_worsening count the councils whose own trend (mart_benchmark)
-- improves or worsens at that period. direction_vs_previous_year compares the annual
-- regional values only when both years are complete.
--
-- Incremental (delete+insert by financial year): a build recomputes the financial years
-- with a fact or a regional benchmark row written since this table was last written, or
-- whose published comparators changed, and the year after each (its direction reads the
-- year before); the year before each is computed too, for that direction, not rewritten. A new month
-- is one or two financial years, however long the history; a change of fingerprint
-- (population, catalogue, registry, groups) recomputes every year.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['financial_year'],
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}
             delete from {{ this }} as t
             where not exists (select 1 from {{ ref('fct_metric_value') }} as f
                               where f.financial_year = t.financial_year)
             {% endif %}"
        ]
    )
}}

with rules as (
    select * from {{ ref('int_metric_rules') }}
),

fingerprints as (
    select * from {{ ref('int_build__fingerprints') }}
),

{% if is_incremental() %}
{{ incremental_since('benchmark_fingerprint', 'since') }},

changed_years as (
    select distinct f.financial_year
    from {{ ref('fct_metric_value') }} as f
    where f.dbt_updated_at > (select watermark from since)
    union
    select distinct p.financial_year
    from {{ ref('mart_benchmark') }} as b
    inner join {{ ref('dim_period') }} as p on p.period = b.period and p.frequency = b.frequency
    where b.dbt_updated_at > (select watermark from since) and b.group_type = 'region'
    union
    select financial_year from (
        (select metric_id, financial_year, region_published_value, england_value, comparator_source
         from {{ ref('int_public__area_comparators') }}
         where (metric_id, financial_year) in (select metric_id, financial_year from {{ this }})
         except
         select metric_id, financial_year, region_published_value, england_value, comparator_source
         from {{ this }})
        union all
        (select metric_id, financial_year, region_published_value, england_value, comparator_source
         from {{ this }} where comparator_source is not null
         except
         select metric_id, financial_year, region_published_value, england_value, comparator_source
         from {{ ref('int_public__area_comparators') }})
    ) as comparators_changed
),

-- rewritten: the changed years and the year after each (its direction reads the year before)
written_years as (
    select {{ fy_label('left(financial_year, 4)::integer + shift') }} as financial_year
    from changed_years cross join (values (0), (1)) as shifts (shift)
),

-- computed: those and the year before each, which gives their direction its previous year
computed_years as (
    select {{ fy_label('left(financial_year, 4)::integer + shift') }} as financial_year
    from written_years cross join (values (-1), (0)) as shifts (shift)
),
{% endif %}

councils as (
    select council_code, council_name, tier from {{ ref('stg_reference__council_registry') }}
),

facts as (
    select
        f.council_code, f.metric_id, f.period, f.financial_year, f.normalised_value,
        f.norm_numerator, f.norm_denominator, f.norm_scale,
        d.period_index, c.council_name, c.tier,
        m.aggregate_tiers, m.annual_rule, m.is_regional_total, m.periods_per_year
    from {{ ref('fct_metric_value') }} as f
    inner join rules as m on m.metric_id = f.metric_id
    inner join councils as c on c.council_code = f.council_code
    inner join {{ ref('dim_period') }} as d on d.period = f.period and d.frequency = f.frequency
    where f.normalised_value is not null
      and c.tier = any(string_to_array(m.delivering_tiers, ','))
      {% if is_incremental() %}
      and f.financial_year in (select financial_year from computed_years)
      {% endif %}
),

years as (
    select
        metric_id,
        financial_year,
        max(period_index)                   as latest_index,
        (array_agg(period order by period_index desc))[1] as latest_period,
        count(distinct period)              as periods_covered
    from facts
    group by metric_id, financial_year
),

in_scope as (
    select f.*
    from facts as f
    inner join years as y on y.metric_id = f.metric_id and y.financial_year = f.financial_year
    where f.annual_rule = 'all_periods' or f.period_index = y.latest_index
),

council_years as (
    select
        metric_id,
        financial_year,
        council_code,
        council_name,
        round(case
            when bool_and(norm_denominator is not null) and sum(norm_denominator) > 0
                then max(norm_scale) * sum(norm_numerator) / sum(norm_denominator)
            else avg(normalised_value)
        end, 6)                                                                     as annual_value
    from in_scope
    group by metric_id, financial_year, council_code, council_name
),

region_years as (
    select
        metric_id,
        financial_year,
        count(distinct council_code)                                                as councils_reporting,
        count(distinct council_code) filter (where counted)                         as councils_in_aggregate,
        round(case
            when bool_or(is_regional_total)
                then sum(norm_numerator) filter (where counted)
                     / nullif(count(distinct period) filter (where counted), 0)
            else max(norm_scale) * sum(norm_numerator) filter (where counted)
                 / nullif(sum(norm_denominator) filter (where counted), 0)
        end, 6)                                                                     as region_aggregate
    from (
        select
            s.*,
            s.tier = any(string_to_array(s.aggregate_tiers, ','))
                and s.norm_numerator is not null
                and (s.is_regional_total or s.norm_denominator is not null)         as counted
        from in_scope as s
    ) as scoped
    group by metric_id, financial_year
),

best_worst as (
    select
        cy.metric_id,
        cy.financial_year,
        max(cy.council_code) filter (where cy.best_order = 1)                       as best_council_code,
        max(cy.council_name) filter (where cy.best_order = 1)                       as best_council_name,
        max(cy.annual_value) filter (where cy.best_order = 1)                       as best_council_value,
        max(cy.council_code) filter (where cy.worst_order = 1)                      as worst_council_code,
        max(cy.council_name) filter (where cy.worst_order = 1)                      as worst_council_name,
        max(cy.annual_value) filter (where cy.worst_order = 1)                      as worst_council_value
    from (
        select
            c.*,
            case m.polarity
                when 'higher_is_better' then row_number() over (
                    partition by c.metric_id, c.financial_year order by c.annual_value desc, c.council_code asc)
                when 'lower_is_better' then row_number() over (
                    partition by c.metric_id, c.financial_year order by c.annual_value asc, c.council_code asc)
            end as best_order,
            case m.polarity
                when 'higher_is_better' then row_number() over (
                    partition by c.metric_id, c.financial_year order by c.annual_value asc, c.council_code asc)
                when 'lower_is_better' then row_number() over (
                    partition by c.metric_id, c.financial_year order by c.annual_value desc, c.council_code asc)
            end as worst_order
        from council_years as c
        inner join rules as m on m.metric_id = c.metric_id
    ) as cy
    group by cy.metric_id, cy.financial_year
),

{% if is_incremental() %}
-- the computed years' trend windows reach back trend_periods - 1 periods of the
-- metric's own frequency (period_index counts within one frequency)
trend_windows as (
    select metric_id, min(latest_index) - {{ var('trend_periods') | int }} as from_index
    from years
    group by metric_id
),
{% endif %}

benchmark_region as (
    select b.metric_id, b.period, b.period_index, b.council_code, b.region_value, b.trend_direction
    from {{ ref('mart_benchmark') }} as b
    {% if is_incremental() %}
    inner join trend_windows as w on w.metric_id = b.metric_id and w.from_index <= b.period_index
    {% endif %}
    where b.group_type = 'region'
),

regional_series as (
    select distinct metric_id, period_index, region_value
    from benchmark_region
),

regional_trend as (
    select
        y.metric_id,
        y.financial_year,
        -- summed in period order: float sums depend on order, and the rounded slope of an
        -- incremental build must equal a full refresh's to the last digit
        regr_slope(s.region_value, s.period_index order by s.period_index)          as slope,
        count(s.region_value)                                                       as periods
    from years as y
    inner join regional_series as s
        on s.metric_id = y.metric_id
       and s.period_index between y.latest_index - {{ var('trend_periods') | int - 1 }} and y.latest_index
    group by y.metric_id, y.financial_year
),

council_trends as (
    select
        y.metric_id,
        y.financial_year,
        count(*) filter (where b.trend_direction = 'improving')                     as councils_improving,
        count(*) filter (where b.trend_direction = 'worsening')                     as councils_worsening,
        count(*) filter (where b.trend_direction = 'no change')                     as councils_no_change
    from years as y
    inner join benchmark_region as b on b.metric_id = y.metric_id and b.period_index = y.latest_index
    group by y.metric_id, y.financial_year
),

assembled as (
    select
        y.financial_year,
        m.service_area,
        y.metric_id,
        m.metric_name,
        m.polarity,
        m.normalised_unit                                                       as unit,
        m.annual_rule,
        m.periods_per_year                                                      as periods_expected,
        y.periods_covered,
        y.periods_covered >= m.periods_per_year                                 as is_complete_year,
        y.latest_period,
        r.councils_reporting,
        r.councils_in_aggregate,
        coalesce(r.region_aggregate, a.region_published_value)                  as region_value,
        case
            when r.region_aggregate is not null
                then 'sum of numerators over sum of denominators of the delivering councils'
            when a.region_published_value is not null
                then 'published West Midlands figure (no council numerators)'
        end                                                                     as region_value_basis,
        a.region_published_value,
        a.england_value,
        a.comparator_source,
        case
            when {{ compare_by_polarity(
                        'coalesce(r.region_aggregate, a.region_published_value)', 'a.england_value', 'm.polarity'
                    ) }} is null
                or y.periods_covered >= m.periods_per_year
                or (not a.comparator_whole_year and a.comparator_periods = y.periods_covered)
                then null
            else y.periods_covered || ' of ' || {{ period_count('m.periods_per_year', 'm.frequency') }}
                 || ' reported; England''s figure is for '
                 || case when a.comparator_whole_year then 'the whole year'
                         else {{ period_count('a.comparator_periods', 'm.frequency') }} end
        end                                                                     as region_vs_england_withheld_reason,
        b.best_council_code,
        b.best_council_name,
        b.best_council_value,
        b.worst_council_code,
        b.worst_council_name,
        b.worst_council_value,
        case when not m.is_year_to_date then {{ published_slope('t.slope') }} end as region_trend_slope,
        t.periods                                                               as region_trend_periods,
        case when m.is_year_to_date then 'not comparable'
             else {{ trend_direction('t.slope', 't.periods', 'm.polarity') }}
        end                                                                     as region_trend_direction,
        coalesce(ct.councils_improving, 0)                                      as councils_improving,
        coalesce(ct.councils_worsening, 0)                                      as councils_worsening,
        coalesce(ct.councils_no_change, 0)                                      as councils_no_change
    from years as y
    inner join rules as m on m.metric_id = y.metric_id
    left join region_years as r on r.metric_id = y.metric_id and r.financial_year = y.financial_year
    left join {{ ref('int_public__area_comparators') }} as a
        on a.metric_id = y.metric_id and a.financial_year = y.financial_year
    left join best_worst as b on b.metric_id = y.metric_id and b.financial_year = y.financial_year
    left join regional_trend as t on t.metric_id = y.metric_id and t.financial_year = y.financial_year
    left join council_trends as ct on ct.metric_id = y.metric_id and ct.financial_year = y.financial_year
)

select
    a.*,
    case when a.region_vs_england_withheld_reason is not null then 'not comparable'
         else {{ compare_by_polarity('a.region_value', 'a.england_value', 'a.polarity') }}
    end                                                                             as region_vs_england,
    p.region_value                                                                  as previous_year_region_value,
    case
        when not a.is_complete_year or not coalesce(p.is_complete_year, false) then 'not comparable'
        else {{ direction_of_travel('a.region_value', 'p.region_value', 'a.polarity') }}
    end                                                                             as direction_vs_previous_year,
    (select benchmark_fingerprint from fingerprints)                                as benchmark_fingerprint,
    now()                                                                           as dbt_updated_at
from assembled as a
left join assembled as p
    on p.metric_id = a.metric_id
   and left(p.financial_year, 4)::integer = left(a.financial_year, 4)::integer - 1
{% if is_incremental() %}
where a.financial_year in (select financial_year from written_years)
{% endif %}
