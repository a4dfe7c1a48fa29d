{#- Rule: which metrics describe the council's area, and which tiers a regional
    aggregate sums so that no area is counted twice. Used by dim_metric and
    int_metric_rules. -#}

{#- A metric describes the council's area (its residents, its businesses) rather than the
    council's own work: every public statistic, and the council-return metrics listed in
    var('area_based_metrics'). -#}
{% macro metric_is_area_based(metric_id, source) -%}
    ({{ source }} <> 'council_return' or {{ metric_id }} in ({{ sql_list(var('area_based_metrics')) }}))
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
