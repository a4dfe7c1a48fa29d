{#- Plumbing: the watermark and fingerprint CTEs the incremental models (fct_metric_value,
    mart_benchmark, mart_region_performance) start from.

    Call it inside `{% if is_incremental() %}`: it renders `stored` (this table's newest
    dbt_updated_at, optionally over some rows only, and the fingerprint its newest rows
    were built with), `rebuild` (everything = the fingerprint changed, so every period is
    recomputed) and `since_name` (the watermark: upstream rows written after it are new;
    -infinity on a rebuild). -#}
{% macro incremental_since(fingerprint, since_name, watermark_rows=none) -%}
stored as (
    select
        (select max(dbt_updated_at) from {{ this }}{% if watermark_rows %} where {{ watermark_rows }}{% endif %}) as watermark,
        (select {{ fingerprint }} from {{ this }} order by dbt_updated_at desc limit 1)     as fingerprint
),

rebuild as (
    select coalesce(s.fingerprint <> f.{{ fingerprint }}, true) as everything
    from stored as s cross join {{ ref('int_build__fingerprints') }} as f
),

{{ since_name }} as (
    select case when r.everything then '-infinity'::timestamptz
                else coalesce(s.watermark, '-infinity'::timestamptz) end as watermark
    from stored as s cross join rebuild as r
)
{%- endmacro %}
