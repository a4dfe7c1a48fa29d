{#-
    One row per council, metric and period: the value that counts (the newest loaded
    council return, or the published public statistic), with its numerator and
    denominator and the normalised value benchmarks compare.

    Normalisation: counts and amounts with a per-capita basis in the catalogue are
    divided by that population (all ages, or aged 16-64) of the mid-year estimate for
    the period's calendar year (a financial year: the year it starts), or the latest
    estimate published when that year is not out yet, per 1,000. Every other metric is
    compared as reported. norm_numerator / norm_denominator x norm_scale gives the
    normalised value, so a regional aggregate is always
    norm_scale x sum(norm_numerator) / sum(norm_denominator).

    Incremental (delete+insert on the key): council-return rows changed in
    int_returns__latest_values since this table was last written, and public values that
    differ from what is stored; everything when the population estimates, the catalogue
    or the registry changed (int_build__fingerprints). Keys gone upstream are deleted by
    the post-hooks: one per source, because a NOT EXISTS under an OR cannot be planned
    as an anti-join, and re-scanning the upstream model per stored row took minutes at
    ten years of history (`make bench` found it).

    Indexed on the key and on dbt_updated_at: the delete+insert, the hooks and the
    watermark reads would otherwise scan all of history on every build.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['council_code', 'metric_id', 'period'],
        on_schema_change='fail',
        indexes=[{'columns': ['council_code', 'metric_id', 'period']}, {'columns': ['source_kind', 'dbt_updated_at']},
                 {'columns': ['dbt_updated_at']}],
        post_hook=[
            "{% if is_incremental() %}
             delete from {{ this }} as t
             where t.source_kind = 'council_return' and not exists (
                       select 1 from {{ ref('int_returns__latest_values') }} as i
                       where i.council_code = t.council_code and i.metric_id = t.metric_id and i.period = t.period)
             {% endif %}",
            "{% if is_incremental() %}
             delete from {{ this }} as t
             where t.source_kind = 'public_source' and not exists (
                       select 1 from {{ ref('int_public__council_values') }} as p
                       where p.council_code = t.council_code and p.metric_id = t.metric_id and p.period = t.period)
             {% endif %}"
        ]
    )
}}

with fingerprints as (
    select * from {{ ref('int_build__fingerprints') }}
),

{% if is_incremental() %}
-- since when council-return values count as new (the beginning of time for a rebuild)
{{ incremental_since('normalisation_fingerprint', 'returns_since', watermark_rows="source_kind = 'council_return'") }},

-- public values not stored as they are now (all of them for a rebuild)
public_changed as (
    select council_code, metric_id, period, submission_id, value, numerator
    from {{ ref('int_public__council_values') }}
    except
    select t.council_code, t.metric_id, t.period, t.submission_id, t.value, t.numerator
    from {{ this }} as t
    where t.source_kind = 'public_source'
      and not (select everything from rebuild)
),
{% endif %}

council_returns as (
    select
        i.council_code, i.metric_id, i.period, 'council_return' as source_kind, i.return_month,
        i.value, i.numerator, i.denominator, i.value_status, i.note,
        i.submission_id, i.loaded_versions, i.received_at, i.loaded_at
    from {{ ref('int_returns__latest_values') }} as i
    {% if is_incremental() %}
    where i.dbt_updated_at > (select watermark from returns_since)
    {% endif %}
),

public_statistics as (
    select
        p.council_code, p.metric_id, p.period, 'public_source' as source_kind, null::text as return_month,
        p.value, p.numerator, null::numeric as denominator, p.value_status, p.note,
        p.submission_id, 1 as loaded_versions, p.received_at, p.loaded_at
    from {{ ref('int_public__council_values') }} as p
    {% if is_incremental() %}
    inner join public_changed as c
        on c.council_code = p.council_code and c.metric_id = p.metric_id and c.period = p.period
    {% endif %}
),

changed as (
    select * from council_returns
    union all
    select * from public_statistics
),

with_population as (
    select
        c.*,
        m.frequency,
        m.value_type,
        m.per_capita_basis,
        m.is_per_capita,
        m.normalised_scale,
        m.normalised_unit,
        d.financial_year,
        d.calendar_year,
        pop.population_year,
        pop.population_all_ages,
        pop.population_16_64
    from changed as c
    inner join {{ ref('int_metric_rules') }} as m on m.metric_id = c.metric_id
    inner join {{ ref('dim_period') }} as d on d.period = c.period and d.frequency = m.frequency
    -- the estimate for the period's year; else the latest before it; else the earliest
    left join lateral (
        select p.population_year, p.population_all_ages, p.population_16_64
        from {{ ref('int_council__population') }} as p
        where p.council_code = c.council_code
        order by (p.population_year > d.calendar_year), abs(p.population_year - d.calendar_year)
        limit 1
    ) as pop on true
),

normalised as (
    select
        w.*,
        case w.per_capita_basis
            when 'population_all_ages' then w.population_all_ages
            when 'population_16_64' then w.population_16_64
        end as basis_population,
        -- NOMIS's claimant rate is over residents aged 16-64 (the catalogue's denominator)
        case when w.metric_id = 'econ_claimant_rate' then w.population_16_64 else w.denominator end as denominator_used
    from with_population as w
)

select
    n.council_code,
    n.metric_id,
    n.period,
    n.frequency,
    n.financial_year,
    n.source_kind,
    n.value,
    n.numerator,
    n.denominator_used                                               as denominator,
    n.value_status,
    n.note,
    case
        when n.value is null then null
        when n.is_per_capita then round(1000 * n.value / nullif(n.basis_population, 0), 6)
        else n.value
    end                                                              as normalised_value,
    n.normalised_unit,
    case when n.is_per_capita or n.value_type in ('count', 'amount') then n.value else n.numerator end
                                                                     as norm_numerator,
    case
        when n.is_per_capita then n.basis_population::numeric
        when n.value_type in ('count', 'amount') then null
        else n.denominator_used
    end                                                              as norm_denominator,
    n.normalised_scale                                               as norm_scale,
    n.per_capita_basis                                               as population_basis,
    case when n.per_capita_basis is not null or n.metric_id = 'econ_claimant_rate' then n.population_year end
                                                                     as population_year,
    n.basis_population                                               as population,
    n.submission_id,
    n.return_month,
    n.loaded_versions,
    n.received_at,
    n.loaded_at,
    (select normalisation_fingerprint from fingerprints)             as normalisation_fingerprint,
    now()                                                            as dbt_updated_at
from normalised as n
