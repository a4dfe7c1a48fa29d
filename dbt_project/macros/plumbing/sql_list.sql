{#- Plumbing: a list of strings (usually a var) as SQL literals for IN (...); null when
    empty (IN (null) is never true). -#}
{% macro sql_list(values) -%}
    {%- if values -%}
        {%- for v in values %}'{{ v | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}
