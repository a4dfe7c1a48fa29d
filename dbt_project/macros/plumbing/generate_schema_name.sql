{#- Plumbing: the schema a model, seed or test is built in.

    Use the configured schema name as it is (raw, staging, marts ...) instead of dbt's
    default "<target schema>_<custom schema>": the schemas and their grants are created
    up front by `councilbench db up`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
