"""`councilbench db up`: the database, its schemas and the roles, idempotently.

Privileges are the guarantee that keeps the layers honest, so they are granted here,
once, rather than scattered over the code that uses them:

- loader writes raw and ops, and reads reference (registry, catalogue, contacts: it
  needs the catalogue to validate and the contacts to email);
- transformer writes the dbt schemas and reads raw and ops;
- analyst reads marts and nothing else (not raw, not ops, not the contacts);
- the councils (a group role, and one role per registry council in it) read the marts
  and, in the pay schema, each its own pay posts: row-level security there, applied by
  dbt on every build (macros/plumbing/council_row_security.sql), hides every other
  council's rows. They read nothing of raw, ops, reference, staging or intermediate.

Default privileges make tables created later (by dbt, by loads) carry the same grants.
"""

from __future__ import annotations

import logging

from psycopg import sql

from councilbench.core import catalogue, settings
from councilbench.warehouse import ddl
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

#: schema -> roles that may read it (besides its owner); "council" is the councils' group
#: role (settings.COUNCIL_GROUP_ROLE), whose members are the council roles.
SCHEMA_READERS = {
    "raw": ["transformer"],
    "ops": ["transformer"],
    "reference": ["loader"],
    "staging": [],
    "intermediate": [],
    "marts": ["analyst", "council"],
    "pay": ["council"],
}


def _role_name(key: str) -> str:
    return settings.COUNCIL_GROUP_ROLE if key == "council" else settings.ROLES[key]


def council_roles() -> list[str]:
    """One role per registry council, in GSS code order."""
    return [settings.council_role(code) for code in sorted(catalogue.councils())]


def create_database(warehouse: Warehouse) -> bool:
    """Create the warehouse database if missing; True when it was created."""
    maintenance = warehouse.with_database("postgres")
    with connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [warehouse.database]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(warehouse.database)))
        log.info("created database %s", warehouse.database)
        return True


def copy_database(template: Warehouse, warehouse: Warehouse) -> dict:
    """A new database holding what the template holds (CREATE DATABASE ... TEMPLATE: under
    a second where building the reference data takes ~15 s of dbt), then `up` for what a
    copy does not carry: the grants on the database itself. For scratch databases (the
    bench's, the tests'); nothing may be connected to the template meanwhile."""
    with connect(warehouse.with_database("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(warehouse.database), sql.Identifier(template.database)
            )
        )
    log.info("created database %s as a copy of %s", warehouse.database, template.database)
    return up(warehouse)


def drop_database(warehouse: Warehouse) -> None:
    """Drop the warehouse database if it exists, closing its sessions (scratch databases
    of tests and `make bench`; never called on the configured warehouse)."""
    with connect(warehouse.with_database("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(warehouse.database)))


def _create_roles(conn) -> None:
    admin = conn.execute("SELECT current_user").fetchone()[0]
    for role in settings.ROLES.values():
        # A role is cluster-wide and may exist from another database: create it once.
        conn.execute(
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) "
                "THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
            ).format(name=sql.Literal(role), role=sql.Identifier(role))
        )
        # The admin acts as each role with SET ROLE (a superuser can anyway; a managed
        # database owner needs the membership).
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(admin)))


def _create_council_roles(conn) -> None:
    """The councils' group role and a role per registry council in it, NOLOGIN: a
    deployment gives a council's role a password (`councilbench pay-login`) or makes
    people's logins members of it. An existing role is left as it is (LOGIN included)."""
    ident = sql.Identifier
    group, councils = settings.COUNCIL_GROUP_ROLE, council_roles()
    conn.execute(
        sql.SQL(
            "DO $$ DECLARE r text; BEGIN FOREACH r IN ARRAY {names}::text[] LOOP "
            "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN "
            # another database's `db up` may create it at the same moment (roles are cluster-wide)
            "BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN', r); EXCEPTION WHEN duplicate_object THEN NULL; END; "
            "END IF; END LOOP; END $$"
        ).format(names=sql.Literal([group, *councils]))
    )
    council_list = sql.SQL(", ").join(map(ident, councils))
    conn.execute(sql.SQL("GRANT {} TO {}").format(ident(group), council_list))
    admin = conn.execute("SELECT current_user").fetchone()[0]
    conn.execute(sql.SQL("GRANT {} TO {}").format(council_list, ident(admin)))  # SET ROLE, as for the others


def _grant_schemas(conn, database: str) -> None:
    ident = sql.Identifier
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident(database)))
    conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    for role in settings.ROLES.values():
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident(database), ident(role)))
    # Councils connect, and create nothing (not even temporary objects).
    conn.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(ident(database), ident(settings.COUNCIL_GROUP_ROLE))
    )

    for schema, owner_key in settings.SCHEMA_OWNERS.items():
        owner = settings.ROLES[owner_key]
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(ident(schema), ident(owner)))
        conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(ident(schema), ident(owner)))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(ident(schema)))
        for reader_key in SCHEMA_READERS[schema]:
            reader = _role_name(reader_key)
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(schema), ident(reader)))
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(ident(schema), ident(reader)))
            conn.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                    ident(owner), ident(schema), ident(reader)
                )
            )
    # The analyst reads marts and nothing else, the councils marts and pay: take back
    # anything granted by hand.
    analyst = settings.ROLES["analyst"]
    councils = sql.SQL(", ").join(map(ident, [settings.COUNCIL_GROUP_ROLE, *council_roles()]))
    for schema, readers in SCHEMA_READERS.items():
        if "analyst" not in readers:
            conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(ident(schema), ident(analyst)))
        if "council" not in readers:
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(ident(schema), councils))
            conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(ident(schema), councils))


def _create_loader_tables(conn) -> None:
    """raw and ops tables, created as the loader so it owns them (and default
    privileges give the transformer read access)."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(settings.LOADER_ROLE)))
    for statement in ddl.OPS + ddl.RAW:
        conn.execute(statement)
    conn.execute("RESET ROLE")


def up(warehouse: Warehouse) -> dict:
    """Create what is missing and (re)apply grants. Safe to run any number of times."""
    created = create_database(warehouse)
    with connect(warehouse, autocommit=False) as conn:
        # Serialise concurrent `db up` runs (CI, Airflow init and a developer at once).
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('councilbench db up'))")
        _create_roles(conn)
        _create_council_roles(conn)
        _grant_schemas(conn, warehouse.database)
        _create_loader_tables(conn)
        conn.commit()
    return {"database": warehouse.database, "created": created, "schemas": list(settings.SCHEMA_OWNERS)}
