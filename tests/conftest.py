"""Shared fixtures: a fresh warehouse database per test session on the real server.

Airflow reads its configuration when first imported, so its home, DAGs folder, examples
switch and metadata database (PostgreSQL, a database of its own for this session on the
resolved server, dropped at the end) are set here, before any test module imports it.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_SESSION_STATE = Path(tempfile.mkdtemp(prefix="councilbench-test-state-"))
_SESSION_STATE.chmod(0o755)  # an embedded server runs as its own user and must reach it

os.environ["COUNCILBENCH_STATE_DIR"] = str(_SESSION_STATE)
os.environ["COUNCILBENCH_HOME"] = str(REPO)
os.environ["AIRFLOW_HOME"] = str(_SESSION_STATE / "airflow")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
(_SESSION_STATE / "airflow").mkdir(parents=True, exist_ok=True)
# Tasks of a test Airflow retry after seconds, not minutes.
os.environ["COUNCILBENCH_RETRY_DELAY_SECONDS"] = "5"


def _session_airflow_metadata() -> str:
    from councilbench.orchestration.airflow_env import metadata_database, sqlalchemy_url
    from councilbench.warehouse.connection import resolve

    os.environ["COUNCILBENCH_AIRFLOW_DATABASE"] = f"councilbench_test_airflow_{uuid.uuid4().hex[:8]}"
    return sqlalchemy_url(metadata_database(resolve()))


os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = _session_airflow_metadata()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def state_dir() -> Path:
    return _SESSION_STATE


@pytest.fixture(scope="session")
def server():
    """The PostgreSQL server the project resolves (WAREHOUSE_URL, local, embedded)."""
    from councilbench.warehouse.connection import resolve

    return resolve()


def _drop_database(server, name: str) -> None:
    from councilbench.warehouse.bootstrap import drop_database

    drop_database(server.with_database(name))


@pytest.fixture(scope="session", autouse=True)
def _drop_airflow_metadata():
    """The session's Airflow metadata database goes with the session. (It resolves the
    server itself: a module may name a fixture of its own `server`.)"""
    yield
    from councilbench.warehouse.connection import resolve

    _drop_database(resolve(), os.environ["COUNCILBENCH_AIRFLOW_DATABASE"])


@pytest.fixture(scope="session")
def warehouse(server):
    """A new database, bootstrapped with `db up`, dropped at the end of the session."""
    from councilbench.warehouse import bootstrap
    from warehouse_data import snapshot_of

    name = f"councilbench_test_{uuid.uuid4().hex[:8]}"
    wh = server.with_database(name)
    bootstrap.up(wh)
    yield wh
    _drop_database(server, name)
    _drop_database(server, snapshot_of(wh).database)  # the built scenario's copy, if one was taken


@pytest.fixture(scope="session")
def reference_warehouse(warehouse):
    """The session warehouse with the reference data (seeds, dim_council, dim_metric) built."""
    from councilbench.warehouse.reference_data import refresh

    refresh(warehouse)
    return warehouse


@pytest.fixture(scope="session")
def reference_template(server):
    """A database with `db up` and the reference data built, that nothing connects to
    again: the warehouses of modules' own are copies of it (tests/warehouse_copy.py), a
    fraction of a second each against ~15 s of dbt. Built by the first module that asks."""
    from councilbench.warehouse.reference_data import refresh

    name = f"councilbench_test_template_{uuid.uuid4().hex[:8]}"
    refresh(server.with_database(name))
    yield server.with_database(name)
    _drop_database(server, name)


#: The developer's state the bench must leave alone: dbt's target, docs and logs, the
#: Airflow home (task logs, secrets, UI passwords) and the component and DAG logs.
DEVELOPER_STATE = ("dbt", "airflow", "logs")


def _state_files(state_dir: Path) -> dict[str, tuple[int, str]]:
    """Every file under the developer's state folders: path -> (mtime, sha256)."""
    import hashlib

    return {
        str(p.relative_to(state_dir)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for folder in DEVELOPER_STATE
        for p in sorted((state_dir / folder).rglob("*"))
        if p.is_file()
    }


@dataclass
class PipelineRun:
    figures: object  # councilbench.dev.bench.figures.Figures
    lines: list[str]  # what the bench printed
    developer_state: dict  # {"before": ..., "after": ...}: _state_files around the run
    warehouse: object  # the kept "big" warehouse (Warehouse)


@pytest.fixture(scope="session")
def pipeline_run(server, reference_template, state_dir):
    """The real pipeline end to end at small scale, once a session: `make bench` with two
    years of history (run_bench(years=2)): 33 councils' returns served over HTTP and
    loaded by the real loaders, the public statistics through the public pipeline, the
    last month in-process, dbt's full and incremental builds (the months through Airflow
    that `make bench` times are the scheduler and Celery tests' business here). Its "big" warehouse is kept for the oracle
    (tests/oracle/) and dropped at the end of the session; the baseline is dropped by
    the bench. tests/dev/test_bench.py asserts what the bench measured."""
    from councilbench.core import settings
    from councilbench.dev.bench.run import run_bench

    lines: list[str] = []
    before = _state_files(state_dir)
    try:
        with settings.environ({"COUNCILBENCH_BENCH_TEMPLATE": reference_template.database}):  # its warehouses: copies
            figures = run_bench(
                server,
                years=2,
                baseline_years=1,
                keep={"big"},
                parse_rounds=1,
                spend_scale=None,  # test_bench_spend.py, test_bench_pay.py
                pay_scale=None,
                # a month through Airflow: tests/orchestration/ (the scheduler, Celery), tests/returns/
                airflow_paths=(),
                out=lines.append,
            )
        (big,) = [name for name in figures.conditions["databases"] if name.startswith("councilbench_bench_big_")]
        yield PipelineRun(
            figures, lines, {"before": before, "after": _state_files(state_dir)}, server.with_database(big)
        )
    finally:  # the bench names a database it keeps as soon as it exists: dropped even if the run failed
        for kept in re.findall(r"keeping (councilbench_bench_\w+) afterwards", "\n".join(lines)):
            _drop_database(server, kept)
            _drop_database(server, f"{kept}_airflow")  # its Airflow's metadata


@pytest.fixture
def fresh_database(server):
    """A database that does not exist yet (for bootstrap tests); dropped afterwards."""
    name = f"councilbench_fresh_{uuid.uuid4().hex[:8]}"
    yield server.with_database(name)
    _drop_database(server, name)


@pytest.fixture(scope="session")
def mail_catcher(state_dir):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Airflow's smtp_default points at it."""
    from councilbench.dev.mailcatcher import start_catcher
    from councilbench.orchestration.airflow_env import smtp_connection

    with start_catcher(state_dir / "mail") as catcher:
        previous = os.environ.get("AIRFLOW_CONN_SMTP_DEFAULT")
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = smtp_connection("127.0.0.1", catcher.port)
        yield catcher
        if previous is None:
            os.environ.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
        else:
            os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = previous


@pytest.fixture(scope="session")
def returns_server(state_dir):
    """Council return files served over HTTP on 127.0.0.1, one URL per council and month
    (the registry's {returns_base_url}/<short_name>/<YYYY-MM>.csv)."""
    from councilbench.dev.file_server import serve_folder

    folder = state_dir / "served-returns"
    folder.mkdir(exist_ok=True)
    with serve_folder(folder) as server:
        server.folder = folder
        yield server


#: The councils and months of the shared spend warehouse: both partnership groups of
#: the seed, Birmingham (the region only) and Herefordshire (a quarterly publisher).
SPEND_COUNCILS = [
    "staffordshire", "shropshire", "worcestershire", "coventry", "solihull", "warwickshire",
    "birmingham", "herefordshire",
]  # fmt: skip
SPEND_MONTHS = ["2026-01", "2026-02", "2026-03"]


@pytest.fixture(scope="session")
def spend_warehouse(server, reference_template, returns_server):
    """A warehouse of its own with a quarter of sample spend (scale 0.01) for
    SPEND_COUNCILS loaded through the lifecycle, suppliers and categories resolved, and
    the spend marts built (for the pooled spend report and the explorer's spend page).
    Its own database: resolution reads every council's loaded lines, so spend other
    modules load into the session warehouse would change its answers."""
    from councilbench.dev import sample_spend
    from councilbench.spend import pipeline
    from councilbench.warehouse.transform import run_dbt
    from warehouse_copy import copy_database

    wh = copy_database(reference_template, "spend")
    sample_spend.write(returns_server.folder / "shared-spend", SPEND_MONTHS, SPEND_COUNCILS, scale=0.01)
    for month in SPEND_MONTHS:
        pipeline.run_period(wh, month, SPEND_COUNCILS, spend_base_url=f"{returns_server.url}/shared-spend")
    run_dbt(wh, ["build", "--select", "+path:models/marts/spend", "--indirect-selection", "cautious"])
    yield wh
    _drop_database(server, wh.database)
