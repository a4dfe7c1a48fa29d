-- One row: fingerprints of the slowly changing inputs the incremental models build on.
-- When one changes (a new population estimate, a catalogue or registry edit, different
-- nearest neighbours), the incremental models it feeds recompute their whole history
-- instead of just the new periods; otherwise they only touch what is new. The catalogue's
-- names and units count too: the marts store them beside the values (units, reasons).
{{ config(materialized='view') }}

with population as (
    select md5(coalesce(string_agg(
        concat_ws('|', council_code, population_year, population_all_ages, population_16_64), ','
        order by council_code, population_year), '')) as fp
    from {{ ref('int_council__population') }}
),

rules as (
    select md5(string_agg(
        concat_ws('|', metric_id, metric_name, service_area, unit, value_type, polarity, frequency, delivering_tiers,
                  aggregate_tiers, scale, per_capita_basis, normalised_scale, annual_rule), ','
        order by metric_id)) as fp
    from {{ ref('int_metric_rules') }}
),

registry as (
    select md5(string_agg(concat_ws('|', council_code, tier, county_code), ',' order by council_code)) as fp
    from {{ ref('stg_reference__council_registry') }}
),

groups as (
    select md5(coalesce(string_agg(concat_ws('|', group_id, member_council_code), ','
        order by group_id, member_council_code), '')) as fp
    from {{ ref('int_council__comparison_groups') }}
)

{#- The benchmarking rules as SQL (macros/rules/, rendered on placeholder arguments): a
    changed rule (how a trend's direction is read, say) changes the fingerprint, so every
    period is recomputed under it, not only the new ones. -#}
{%- set rule_sql -%}
    {{ group_is_ranked('g') }} {{ not_ranked_reason('g') }} {{ quartile_from_rank('r', 'g') }}
    {{ compare_by_polarity('a', 'b', 'p') }} {{ direction_of_travel('c', 'v', 'p') }}
    {{ trend_direction('s', 'n', 'p') }} {{ outlier_score('v', 'm', 'd', 'a') }}
    {{ readable_value('v', 'u', 'n') }}
{%- endset %}

select
    md5(population.fp || rules.fp || registry.fp)                  as normalisation_fingerprint,
    -- the smallest group ranked changes every period's ranks (dbt var min_group_size)
    md5(population.fp || rules.fp || registry.fp || groups.fp
        || '|min_group_size={{ var("min_group_size") | int }}'
        || md5('{{ rule_sql | replace("'", "''") }}'))              as benchmark_fingerprint
from population, rules, registry, groups
