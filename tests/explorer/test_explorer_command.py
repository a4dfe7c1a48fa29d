"""`councilbench explorer` and the analyst login it runs as in Docker.

docker/postgres-init/02-analyst-login.sh is run here for real, with psql, against the
test server (as the postgres image runs it on first start): the login it makes reads the
marts and nothing else. The command started with only that login (as the Docker service
is, no admin URL) serves the app, and the app reads its pages through that login.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from councilbench.explorer.server import free_port
from councilbench.warehouse import connection
from councilbench.warehouse.connection import connect

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "docker" / "postgres-init" / "02-analyst-login.sh"
EXE = Path(sys.executable).with_name("councilbench")


@pytest.fixture(scope="module")
def analyst_login(built):
    """The init script's login (a name of this test's own), made twice over (the script
    is idempotent), dropped afterwards: its URL on the test warehouse."""
    parts = built.warehouse.parts
    user, password = f"councilbench_test_explorer_{uuid.uuid4().hex[:6]}", "not-the-admins-password"
    env = {
        **os.environ,
        "POSTGRES_USER": parts.user,
        "POSTGRES_DB": parts.database,
        "PGHOST": parts.host,
        "PGPORT": str(parts.port),
        "PGPASSWORD": parts.password,
        "ANALYST_DB_USER": user,
        "ANALYST_DB_PASSWORD": password,
    }
    for _ in range(2):
        subprocess.run(["sh", str(SCRIPT)], env=env, check=True, capture_output=True, text=True)
    try:
        yield parts.replace(user=user, password=password).url
    finally:
        with connect(built.warehouse, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{user}"')


def _one_table_per_schema(built, schemas: tuple[str, ...]) -> dict[str, str]:
    with connect(built.warehouse) as conn:
        rows = conn.execute(
            "select distinct on (table_schema) table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) order by table_schema, table_name",
            [list(schemas)],
        ).fetchall()
    return {schema: f'"{schema}"."{table}"' for schema, table in rows}


def test_the_init_scripts_login_reads_the_marts_and_nothing_else(built, analyst_login):
    hidden = _one_table_per_schema(built, ("raw", "ops", "reference"))
    assert set(hidden) == {"raw", "ops", "reference"}
    with psycopg.connect(analyst_login, autocommit=True) as conn:
        attributes = conn.execute(
            "select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = current_user"
        ).fetchone()
        assert attributes == (False, False, False)
        assert conn.execute("select count(*) from marts.dim_council").fetchone()[0] == 33
        for table in hidden.values():
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table marts.not_yours (x int)")


def test_the_command_with_only_the_analyst_login_never_resolves_an_admin_url(analyst_login, monkeypatch):
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("WAREHOUSE_ANALYST_URL", analyst_login)

    def no_admin():
        raise AssertionError("resolve() looked for an admin URL (or started an embedded server)")

    monkeypatch.setattr(connection, "resolve", no_admin)
    warehouse = connection.resolve_as("analyst")
    assert (warehouse.url, warehouse.origin) == (analyst_login, "WAREHOUSE_ANALYST_URL")


def test_explorer_serves_the_app_until_sigterm(built, analyst_login):
    """As the Docker service runs it: only the analyst's login, no WAREHOUSE_URL; `docker
    stop` sends SIGTERM, and the command ends (Streamlit with it)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "WAREHOUSE_URL"} | {"WAREHOUSE_ANALYST_URL": analyst_login}
    proc = subprocess.Popen(
        [str(EXE), "explorer", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        first_line = proc.stdout.readline()
        assert f"open http://127.0.0.1:{port}" in first_line
        assert built.warehouse.database in first_line and "analyst" in first_line
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail("the explorer never answered its health check")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_pages_read_through_the_analyst_login(analyst_login, open_page, monkeypatch):
    """What the command hands the app (WAREHOUSE_URL = the login, as run_foreground sets
    it): the metric page reads its figures through that login, with no error."""
    monkeypatch.setenv("WAREHOUSE_URL", analyst_login)
    monkeypatch.setenv("WAREHOUSE_ANALYST_URL", analyst_login)
    at = open_page("metric")
    assert not at.exception
    assert at.title[0].value == "Metric explorer"
    assert at.get("download_button") or at.dataframe


def test_the_demo_ends_with_the_explorers_address_and_how_to_start_it():
    """`make demo` prints where `make explorer` serves (the Makefile's own port) and the
    command that starts it."""
    import re

    from councilbench.dev.demo import explorer_lines
    from councilbench.explorer.server import ExplorerServer, command

    text = "\n".join(explorer_lines())
    makefile = (REPO / "Makefile").read_text()
    port = re.search(r"^EXPLORER_PORT \?= (\d+)$", makefile, re.M).group(1)
    assert re.search(
        r"^explorer: install\n\t\$\(BIN\)/councilbench explorer --port \$\(EXPLORER_PORT\)$", makefile, re.M
    )
    assert ExplorerServer(None, int(port)).url in text and "`make explorer`" in text
    assert command(int(port))[command(int(port)).index("--server.address") + 1] == "127.0.0.1"
