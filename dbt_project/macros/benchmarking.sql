{#- The benchmarking rules, written once. Each macro renders a SQL expression over the
    columns it is given, so dim_metric, the intermediate rules and the marts share them. -#}

{#- A metric describes the council's area (its residents, its businesses) rather than the
    council's own work: every public statistic, and the council-return metrics listed in
    var('area_based_metrics'). -#}
{% macro metric_is_area_based(metric_id, source) -%}
    ({{ source }} <> 'council_return' or {{ metric_id }} in ({{ sql_list(var('area_based_metrics')) }}))
{%- endmacro %}

{#- A list of strings as SQL literals for IN (...); null when empty (IN (null) is never true). -#}
{% macro sql_list(values) -%}
    {%- if values -%}
        {%- for v in values %}'{{ v | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}

{#- The tiers summed in a regional aggregate. Only councils whose tier delivers the metric
    count, so a county and its districts are never both summed for the same service. For an
    area-based metric delivered by both counties and districts, the counties are left out:
    metropolitan boroughs, unitaries and districts cover the region exactly once, and a
    county's figure is (or overlaps) the sum over its districts. -#}
{% macro regional_aggregate_tiers(delivering_tiers, is_area_based) -%}
    (case
        when {{ is_area_based }} and 'county' = any({{ delivering_tiers }}) and 'district' = any({{ delivering_tiers }})
            then array_remove({{ delivering_tiers }}, 'county')
        else {{ delivering_tiers }}
    end)
{%- endmacro %}

{#- Counts and amounts with a per-capita basis are compared per 1,000 of that population;
    everything else is compared as reported. -#}
{% macro is_per_capita(value_type, per_capita_basis) -%}
    ({{ value_type }} in ('count', 'amount') and {{ per_capita_basis }} is not null)
{%- endmacro %}

{% macro normalised_scale(value_type, per_capita_basis, scale) -%}
    (case when {{ is_per_capita(value_type, per_capita_basis) }} then 1000::numeric else {{ scale }} end)
{%- endmacro %}

{% macro normalised_unit(unit, value_type, per_capita_basis) -%}
    (case
        when {{ is_per_capita(value_type, per_capita_basis) }} and {{ per_capita_basis }} = 'population_16_64'
            then 'per 1,000 residents aged 16-64'
        when {{ is_per_capita(value_type, per_capita_basis) }}
            then 'per 1,000 residents'
        else {{ unit }}
    end)
{%- endmacro %}

{#- 'better', 'worse' or 'same' for value a against value b; null for context metrics or
    when either is missing. -#}
{% macro compare_by_polarity(a, b, polarity) -%}
    (case
        when {{ polarity }} = 'context' or {{ a }} is null or {{ b }} is null then null
        when {{ a }} = {{ b }} then 'same'
        when ({{ a }} > {{ b }}) = ({{ polarity }} = 'higher_is_better') then 'better'
        else 'worse'
    end)
{%- endmacro %}

{#- Direction of travel from a previous value to the current one: improving, worsening,
    no change, or not comparable (no previous value, or a context metric, which has no
    better or worse). -#}
{% macro direction_of_travel(current, previous, polarity) -%}
    (case
        when {{ polarity }} = 'context' or {{ current }} is null or {{ previous }} is null then 'not comparable'
        when {{ current }} = {{ previous }} then 'no change'
        when ({{ current }} > {{ previous }}) = ({{ polarity }} = 'higher_is_better') then 'improving'
        else 'worsening'
    end)
{%- endmacro %}

{#- Direction of a least-squares trend: its slope's sign read with the polarity; not
    comparable with fewer than var('trend_min_periods') periods. -#}
{% macro trend_direction(slope, periods, polarity) -%}
    (case
        when {{ polarity }} = 'context' or {{ slope }} is null or {{ periods }} < {{ var('trend_min_periods') }} then 'not comparable'
        when {{ slope }} = 0 then 'no change'
        when ({{ slope }} > 0) = ({{ polarity }} = 'higher_is_better') then 'improving'
        else 'worsening'
    end)
{%- endmacro %}

{#- Quartile within a group from the polarity rank (1 = best; ties share a rank):
    1 + floor(4 x (rank - 1) / group size), i.e. quartile 1 when fewer than a quarter of
    the group did better, 4 when at least three quarters did. Tied councils share it. -#}
{% macro quartile_from_rank(rank, group_size) -%}
    (case when {{ rank }} is not null and {{ group_size }} > 0
          then least(4, 1 + floor(4.0 * ({{ rank }} - 1) / {{ group_size }}))::integer end)
{%- endmacro %}

{#- Robust outlier score: signed distance from the group median in median absolute
    deviations (MAD). When MAD is 0 (at least half the group share the median value), a
    value at the median scores 0 and any other is measured in mean absolute deviations
    around the median scaled to MAD-equivalents (x 0.8453, their ratio for normal data),
    so it is still scored rather than infinite. -#}
{% macro outlier_score(value, median, mad, mean_abs_dev) -%}
    (case
        when {{ value }} is null or {{ median }} is null then null
        when {{ mad }} > 0 then ({{ value }} - {{ median }}) / {{ mad }}
        when {{ value }} = {{ median }} then 0
        when {{ mean_abs_dev }} > 0 then ({{ value }} - {{ median }}) / (0.8453 * {{ mean_abs_dev }})
    end)
{%- endmacro %}

{#- A number of periods of a frequency in words: (1, 'monthly') -> '1 month',
    (4, 'quarterly') -> '4 quarters'. -#}
{% macro period_count(n, frequency) -%}
    (({{ n }})::text || ' ' || case {{ frequency }}
        when 'monthly' then 'month' when 'quarterly' then 'quarter' else 'year' end
     || case when {{ n }} = 1 then '' else 's' end)
{%- endmacro %}

{#- The financial year starting in April of the given year, as YYYY-YY (2025 -> 2025-26). -#}
{% macro fy_label(start_year) -%}
    (({{ start_year }})::text || '-' || lpad((((({{ start_year }}) + 1) % 100))::text, 2, '0'))
{%- endmacro %}

{#- Post-hook: refresh planner statistics of a table dbt just (re)wrote. Freshly created
    tables have none, and the benchmark's joins over them then get nested-loop plans that
    take minutes instead of seconds. Views are skipped. -#}
{% macro analyze_this() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- A value as people read it in a sentence, in the metric's normalised unit with the
    catalogue unit's pound sign: '16.2%', '£69,437 per 1,000 residents', '0.91 days per FTE',
    '94.4 per 100,000', '412 kg'. The same digits and words as the reports' format.value
    (reports/format.py): 1 decimal for percentages, none from 1,000 (nor from 100 for
    counts and pounds), whole counts as they are, otherwise 2 below 10 and 1 above. -#}
{% macro readable_value(value, unit, normalised_unit) -%}
    (case
        when {{ value }} is null then 'no value'
        else
            case when round({{ value }}::numeric, {{ readable_digits(value, normalised_unit) }}) < 0 then '-' else '' end
            || case when {{ unit }} = 'gbp' then '£' else '' end
            || to_char(round(abs({{ value }}::numeric), {{ readable_digits(value, normalised_unit) }}),
                       'FM999,999,999,990' || case {{ readable_digits(value, normalised_unit) }}
                                                  when 0 then '' when 1 then '.0' else '.00' end)
            || case {{ normalised_unit }}
                   when 'percent' then '%'
                   when 'per_100k' then ' per 100,000'
                   when 'per_1000' then ' per 1,000'
                   when 'days' then ' days'
                   when 'weeks' then ' weeks'
                   when 'fte_days' then ' days per FTE'
                   when 'kg' then ' kg'
                   else case when {{ normalised_unit }} like 'per %' then ' ' || {{ normalised_unit }} else '' end
               end
    end)
{%- endmacro %}

{#- The decimals readable_value gives a value (see there). -#}
{% macro readable_digits(value, normalised_unit) -%}
    (case
        when {{ normalised_unit }} = 'percent' then 1
        when abs({{ value }}) >= 1000 then 0
        when abs({{ value }}) >= 100 then case when {{ normalised_unit }} in ('count', 'gbp') then 0 else 1 end
        when {{ normalised_unit }} = 'count' and {{ value }} = trunc({{ value }}) then 0
        when abs({{ value }}) < 10 then 2
        else 1
    end)
{%- endmacro %}

{#- The CTEs an incremental model starts from (call it inside `{% if is_incremental() %}`):
    `stored` (this table's newest dbt_updated_at, optionally over some rows only, and the
    fingerprint its newest rows were built with), `rebuild` (everything = the fingerprint
    changed, so every period is recomputed) and `since_name` (the watermark: upstream
    rows written after it are new; -infinity on a rebuild). -#}
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
