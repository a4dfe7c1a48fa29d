{#- Plumbing: whether an incremental model is rebuilt from all of history (overrides
    dbt's own should_full_refresh).

    dbt's own rule (the model's full_refresh config, else --full-refresh), plus one: an
    incremental table whose columns are not the model's documented columns (its yml in
    models/marts/<subject>/ or models/intermediate/) was built by an older version of the
    model, with a column since added or renamed, and is rebuilt from all of history rather
    than failing (on_schema_change='fail') or carrying a null column for its old rows.
    Documented columns are the contract: tests/warehouse/test_region_marts.py checks that
    every mart's are exactly its table's, so a current table never rebuilds. -#}
{% macro should_full_refresh() %}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is none -%}{%- set configured = flags.FULL_REFRESH -%}{%- endif -%}
    {%- if configured or not execute or config.get('materialized') != 'incremental' or not model.columns -%}
        {%- do return(configured) -%}
    {%- endif -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is none -%}{%- do return(configured) -%}{%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | sort -%}
    {%- set documented = model.columns.keys() | map('lower') | sort -%}
    {%- if stored != documented -%}
        {%- do log(this ~ " has columns " ~ (stored | reject('in', documented) | list) ~ " that the model no longer has"
                   ~ " and lacks " ~ (documented | reject('in', stored) | list) ~ ": rebuilding it from all of history",
                   info=true) -%}
        {%- do return(true) -%}
    {%- endif -%}
    {%- do return(configured) -%}
{% endmacro %}
