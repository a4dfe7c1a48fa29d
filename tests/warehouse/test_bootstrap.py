"""`councilbench db up`: database, schemas and roles, idempotent, with enforced privileges."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from councilbench.core import settings
from councilbench.warehouse import bootstrap
from councilbench.warehouse.connection import connect


def test_db_up_twice_creates_then_changes_nothing(fresh_database):
    first = bootstrap.up(fresh_database)
    second = bootstrap.up(fresh_database)
    assert first["created"] is True
    assert second["created"] is False
    with connect(fresh_database) as conn:
        owners = dict(
            conn.execute(
                "select nspname, pg_get_userbyid(nspowner) from pg_namespace where nspname = any(%s)",
                [list(settings.SCHEMA_OWNERS)],
            ).fetchall()
        )
        roles = {r[0] for r in conn.execute("select rolname from pg_roles where rolname like 'councilbench_%'")}
    assert owners == {schema: settings.ROLES[key] for schema, key in settings.SCHEMA_OWNERS.items()}
    assert set(settings.ROLES.values()) <= roles


def test_db_up_command_line_twice(fresh_database, state_dir):
    env = {"WAREHOUSE_URL": fresh_database.url, "PATH": "/usr/bin:/bin", "COUNCILBENCH_STATE_DIR": str(state_dir)}
    exe = [sys.executable, "-m", "councilbench.cli.main", "db", "up"]
    out1 = subprocess.run(exe, env=env, capture_output=True, text=True, check=True).stdout
    out2 = subprocess.run(exe, env=env, capture_output=True, text=True, check=True).stdout
    assert "(created, found via WAREHOUSE_URL)" in out1
    assert "(already there, found via WAREHOUSE_URL)" in out2


@pytest.fixture(scope="module")
def loaded(reference_warehouse):
    """A raw and an ops table written by the loader, as the loads will do."""
    with connect(reference_warehouse, role="loader") as conn:
        conn.execute("create table if not exists raw.privilege_probe (x int)")
        conn.execute("create table if not exists ops.privilege_probe (x int)")
        conn.execute("insert into raw.privilege_probe values (1)")
        conn.commit()
    return reference_warehouse


def _refused(warehouse, role: str, statement: str) -> bool:
    with connect(warehouse, role=role) as conn:
        try:
            conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            return True
    return False


def test_analyst_reads_marts_only(loaded):
    with connect(loaded, role="analyst") as conn:
        assert conn.execute("select count(*) from marts.dim_council").fetchone()[0] == 33
    assert _refused(loaded, "analyst", "insert into marts.dim_council (council_code) values ('E99999999')")
    assert _refused(loaded, "analyst", "delete from marts.dim_council")
    assert _refused(loaded, "analyst", "select * from raw.privilege_probe")
    assert _refused(loaded, "analyst", "select * from ops.privilege_probe")
    assert _refused(loaded, "analyst", "select * from reference.council_contacts")
    assert _refused(loaded, "analyst", "select * from staging.stg_reference__council_registry")
    assert _refused(loaded, "analyst", "create table marts.sneaky (x int)")


def test_loader_and_transformer_stay_in_their_layers(loaded):
    # The loader reads the catalogue and contacts (validation, emails) but cannot touch marts.
    with connect(loaded, role="loader") as conn:
        assert conn.execute("select count(*) from reference.council_contacts").fetchone()[0] > 0
        assert conn.execute("select count(*) from reference.metric_catalogue").fetchone()[0] >= 30
    assert _refused(loaded, "loader", "select * from marts.dim_council")
    assert _refused(loaded, "loader", "create table marts.sneaky (x int)")
    # The transformer reads raw (its sources) but never writes there.
    with connect(loaded, role="transformer") as conn:
        assert conn.execute("select count(*) from raw.privilege_probe").fetchone()[0] == 1
    assert _refused(loaded, "transformer", "insert into raw.privilege_probe values (2)")
    assert _refused(loaded, "transformer", "create table raw.sneaky (x int)")


def test_a_warehouse_seeded_by_an_older_version_is_reseeded_where_a_seed_gained_a_column(fresh_database):
    """dbt seed refills an existing table and never adds a column: the registry seeded
    before it had spend_source would fail every later seed, until reseeded in full."""
    from councilbench.warehouse import reference_data, seeds

    first = reference_data.refresh(fresh_database)
    assert first["reseeded"] == []
    with connect(fresh_database) as conn:
        # As an older version left it: the registry without its newest column.
        conn.execute("drop view if exists staging.stg_reference__council_registry cascade")
        conn.execute("alter table reference.council_registry drop column spend_source")
        conn.commit()
    assert seeds.changed_seeds(fresh_database) == ["council_registry"]
    again = reference_data.refresh(fresh_database)
    assert again["reseeded"] == ["council_registry"]
    with connect(fresh_database) as conn:
        spend_sources = conn.execute("select count(spend_source) from reference.council_registry").fetchone()[0]
        dims = conn.execute("select count(*) from marts.dim_council").fetchone()[0]
    assert spend_sources == dims == 33
    assert seeds.changed_seeds(fresh_database) == []
