{#- Plumbing: the post-hook of every intermediate and mart model (dbt_project.yml).

    Refresh planner statistics of a table dbt just (re)wrote. Freshly created tables
    have none, and the benchmark's joins over them then get nested-loop plans that take
    minutes instead of seconds. Views are skipped. -#}
{% macro analyze_this() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
