"""The embedded PostgreSQL (the `pgserver` wheel, for machines with no server) end to
end, over the Unix-socket URL it hands out: `councilbench db up` and the dbt seeds, one
month of returns through Airflow (`airflow dags test`, its metadata in a database on
the same embedded server), then `dbt build` of the benchmark and what it is built from; the rows the loader wrote and the marts
built from them are checked against the files served.

The month is not given in the run's conf: it is the one the returns timetable's data
interval gives the run's logical date (the path a scheduled run takes; the scheduler's
own run in tests/orchestration/test_airflow_scheduler.py is served no file, so it
proves that month only by the attempts it records).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from councilbench.core import catalogue, settings
from councilbench.dev import sample_returns as sample
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate, smtp_connection, sqlalchemy_url
from councilbench.warehouse import connection
from councilbench.warehouse.connection import Warehouse, connect
from councilbench.warehouse.transform import run_dbt

pytestmark = pytest.mark.airflow

COUNCILS = ["E08000031", "E10000028", "E07000199"]  # Wolverhampton, Staffordshire, Tamworth
#: Returns are due at 06:00 UTC on the 15th of the month after (the documented default,
#: set explicitly below). On 20 July 2025 June's due date has passed and July's has not:
#: the run is June's, whatever month the logical date itself falls in.
LOGICAL_DATE = "2025-07-20T12:00:00+00:00"
DUE_MONTH = "2025-06"
SERVED = ["2025-05", DUE_MONTH, "2025-07"]  # the months either side are served too

#: A data test of a model that was not built (a relationship to another mart) is left out,
#: and so are the dbt unit tests, as in the production build.
BUILD_ONLY_SELECTED = ("--indirect-selection", "cautious", "--exclude-resource-type", "unit_test")

TIMINGS: dict[str, float] = {}  # seconds per step, printed with the module's teardown


@contextlib.contextmanager
def timed(step: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    TIMINGS[step] = round(time.monotonic() - started, 1)


@contextlib.contextmanager
def embedded_server() -> Iterator[Warehouse]:
    """The embedded server as the project starts it, with its data under a state folder
    of its own (not pytest's tmp_path: as root pgserver runs the server as its own
    system user, which must reach the folder); stopped and removed afterwards."""
    own_state = Path(tempfile.mkdtemp(prefix="cb-embedded-e2e-"))
    own_state.chmod(0o755)
    in_own_state = settings.environ({"COUNCILBENCH_STATE_DIR": str(own_state)})
    try:
        with in_own_state, timed("start the embedded server"):
            url = connection.start_embedded()
        yield Warehouse(url, "embedded")
    finally:
        with settings.environ({"COUNCILBENCH_STATE_DIR": str(own_state)}):
            connection.stop_embedded()
        shutil.rmtree(own_state, ignore_errors=True)


@pytest.fixture(scope="module")
def embedded(returns_server, state_dir):
    """A warehouse on the embedded server bootstrapped by the CLI (`db up`) and seeded,
    the month loaded by `airflow dags test council_returns` (Airflow's metadata on the
    same server), then `dbt build` of mart_benchmark and its parents (the whole build is
    the warehouse_build DAG's, tested on the local server)."""
    from councilbench.dev.mailcatcher import start_catcher

    folder = returns_server.folder / "embedded"
    sample.write_returns(folder, SERVED, councils=COUNCILS)
    with embedded_server() as warehouse, start_catcher(state_dir / "embedded-mail") as mail:
        with timed("councilbench db up"):
            db_up = subprocess.run(
                [str(Path(sys.executable).with_name("councilbench")), "db", "up"],
                env={**os.environ, "WAREHOUSE_URL": warehouse.url},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        with timed("dbt seed"):  # the registry and contacts the loader and its emails read
            run_dbt(warehouse, ["seed"])
        base = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(warehouse.with_database("airflow"))}
        env = airflow_environ(warehouse, base)
        env.update(
            {
                "COUNCILBENCH_RETURNS_BASE_URL": f"{returns_server.url}/embedded",
                "COUNCILBENCH_RETURNS_DUE_DAY": "15",
                "COUNCILBENCH_RETURNS_DUE_TIME": "06:00",
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection("127.0.0.1", mail.port),
            }
        )
        with timed("airflow db migrate"):
            migrate(env)
        with timed("airflow dags test council_returns"):
            dags_test(env, "council_returns", LOGICAL_DATE, "-c", json.dumps({"councils": COUNCILS}))
        with timed("dbt build"):  # what the checks below read: the facts and the benchmark, with their tests
            run_dbt(warehouse, ["build", "--select", "+mart_benchmark", *BUILD_ONLY_SELECTED])
        yield {"warehouse": warehouse, "env": env, "mail": mail, "folder": folder, "db_up": db_up}
    print("embedded end to end, seconds:", TIMINGS)


def served(folder: Path, code: str, month: str) -> list[dict]:
    """The rows of the file served for the council and month, read from the file."""
    path = sample.return_path(folder, catalogue.councils()[code], month)
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_warehouse_is_on_the_embedded_server_over_its_socket(embedded):
    warehouse = embedded["warehouse"]
    assert warehouse.parts.is_socket
    assert "found via WAREHOUSE_URL" in embedded["db_up"]
    assert json.loads(embedded["env"]["AIRFLOW_CONN_WAREHOUSE"])["host"] == warehouse.parts.host
    assert f"host={warehouse.parts.host}".replace("/", "%2F") in embedded["env"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    with connect(warehouse) as conn:
        assert conn.execute("select current_setting('data_directory')").fetchone()[0].endswith("pgdata")
        # Airflow's own tables are on it too.
        with connect(warehouse.with_database("airflow")) as meta:
            runs = meta.execute("select dag_id, state from dag_run").fetchall()
    assert ("council_returns", "success") in runs


def test_the_month_of_the_data_interval_is_loaded_and_no_other(embedded):
    with connect(embedded["warehouse"], role="loader") as conn:
        attempts = conn.execute(
            "select distinct period from ops.fetch_attempts where source_kind = 'council_return'"
        ).fetchall()
        submissions = conn.execute(
            "select subject, period, status from ops.submissions where source_kind = 'council_return' order by 1"
        ).fetchall()
        rows = conn.execute(
            "select council_code, return_period, period, metric_id, value from raw.council_return_rows"
        ).fetchall()
    assert attempts == [(DUE_MONTH,)]
    assert submissions == [(code, DUE_MONTH, "loaded") for code in sorted(COUNCILS)]
    assert {r[1] for r in rows} == {DUE_MONTH}
    expected = sorted(
        (code, r["period"], r["metric_id"], float(r["value"]))
        for code in COUNCILS
        for r in served(embedded["folder"], code, DUE_MONTH)
    )
    assert sorted((c, p, m, float(v)) for c, _, p, m, v in rows) == expected
    receipts = [m for m in embedded["mail"].messages if m["X-Councilbench-Kind"] == "receipt"]
    assert sorted(m["X-Councilbench-Council"] for m in receipts) == sorted(COUNCILS)


def test_dbt_builds_the_marts_from_the_loaded_month(embedded):
    files = {code: served(embedded["folder"], code, DUE_MONTH) for code in COUNCILS}
    # A monthly figure of the first council's file, and who else reported that metric.
    first = next(r for r in files[COUNCILS[0]] if r["period"] == DUE_MONTH and r["value"])
    reporting = {
        code
        for code, rows in files.items()
        for r in rows
        if (r["metric_id"], r["period"], bool(r["value"])) == (first["metric_id"], DUE_MONTH, True)
    }
    with connect(embedded["warehouse"], role="analyst") as conn:
        councils = conn.execute(
            "select distinct council_code from marts.fct_metric_value where period = %s", [DUE_MONTH]
        ).fetchall()
        benchmark = conn.execute(
            "select council_code, value, group_size from marts.mart_benchmark"
            " where metric_id = %s and period = %s and group_type = 'region' order by 1",
            [first["metric_id"], DUE_MONTH],
        ).fetchall()
    assert {c for (c,) in councils} == set(COUNCILS)
    assert [c for c, *_ in benchmark] == sorted(reporting)
    assert {size for *_, size in benchmark} == {len(reporting)}
    assert {c: v for c, v, _ in benchmark}[COUNCILS[0]] == pytest.approx(Decimal(first["value"]))
