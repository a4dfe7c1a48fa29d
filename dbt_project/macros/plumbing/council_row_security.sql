{#- Plumbing: the post-hook of every model in models/pay/ (dbt_project.yml).

    A council reads its own rows of the table and nothing of any other council's:
    row-level security with one policy for the councils' group role (var
    pay_council_group_role), under which a row is visible when the current user is a
    member of that row's council role (var pay_council_role_prefix + lower-case GSS code):
    the council's own role, or a person's login made a member of it.

    dbt replaces the table on every build (a new table renamed into place), so the policy
    goes with the old one: the hook runs in the same transaction, before the commit, and
    nobody ever sees the new table without it, --full-refresh included. The grant is the
    schema's default privilege again (bootstrap), for a table that predates it.

    Not FORCEd: the table's owner is the transformer, which builds and tests it and reads
    the raw pay rows anyway; every other role is subject to the policy (a superuser or a
    BYPASSRLS role is not, as always). Which councils the current user belongs to is one
    uncorrelated subquery over pg_roles (evaluated once per query, not per row), and a
    council whose role does not exist yet simply matches nobody, where pg_has_role with a
    role name would fail the whole query. -#}
{% macro council_row_security(council_column='council_code') -%}
    {%- set group_role = var('pay_council_group_role') -%}
    {%- set prefix = var('pay_council_role_prefix') -%}
    alter table {{ this }} enable row level security;
    drop policy if exists council_reads_its_own_rows on {{ this }};
    create policy council_reads_its_own_rows on {{ this }}
        for select
        to {{ adapter.quote(group_role) }}
        using (
            lower({{ council_column }}) in (
                select substr(r.rolname, {{ prefix | length + 1 }})
                from pg_catalog.pg_roles as r
                where
                    starts_with(r.rolname, '{{ prefix }}')
                    and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
            )
        );
    grant select on {{ this }} to {{ adapter.quote(group_role) }}
{%- endmacro %}
