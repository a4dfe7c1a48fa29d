"""A whole Airflow under its scheduler for one test module: its own warehouse and Airflow
metadata database on the real server, council files served over HTTP, a real SMTP
server, and the services (api-server, scheduler, dag-processor, triggerer, and Celery
workers when asked) started once, watched for health, stopped and dropped at the end."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from councilbench.core import catalogue
from councilbench.orchestration.airflow_env import smtp_connection, sqlalchemy_url
from councilbench.orchestration.api import AirflowApi, parse_time
from councilbench.orchestration.services import AirflowServices, HealthWatch
from councilbench.warehouse import bootstrap
from councilbench.warehouse.connection import Warehouse, connect
from warehouse_copy import copy_database

FAULTY = {
    "E08000027": ["numerator_above_denominator"],  # Dudley
    "E07000199": ["html_error_page"],  # Tamworth
    "E10000031": ["missing_required"],
}  # Warwickshire


@dataclass
class World:
    warehouse: Warehouse
    services: AirflowServices
    api: AirflowApi
    health: HealthWatch
    returns: object  # the HTTP server of council files (.folder, .url)
    mail: object  # the SMTP catcher


@contextlib.contextmanager
def scheduler_world(
    template: Warehouse,
    state_dir: Path,
    label: str,
    *,
    executor: str = "local",
    workers: int = 2,
    env: dict | None = None,
):
    from councilbench.dev.file_server import serve_folder
    from councilbench.dev.mailcatcher import start_catcher

    warehouse = copy_database(template, label)  # the reference data built (warehouse_copy.py)
    metadata = warehouse.with_database(f"{warehouse.database}_airflow")
    folder = state_dir / label / "returns"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with serve_folder(folder) as http, start_catcher(state_dir / label / "mail") as mail:
            http.folder = folder
            overrides = {
                "COUNCILBENCH_RETURNS_BASE_URL": http.url,
                "COUNCILBENCH_SPEND_BASE_URL": f"{http.url}/spend",  # spend files under <folder>/spend
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection("127.0.0.1", mail.port),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(metadata),
                **(env or {}),
            }
            services = AirflowServices(
                warehouse,
                executor=executor,
                workers=workers,
                port=None,
                env=overrides,
                log_dir=state_dir / label / "logs",
            )
            with services:
                health = services.watch_health(interval=3.0)
                try:
                    yield World(warehouse, services, services.api, health, http, mail)
                finally:
                    health.stop()
    finally:
        bootstrap.drop_database(warehouse)
        bootstrap.drop_database(metadata)


def tries(api: AirflowApi, dag_id: str, run_id: str, task_id: str) -> list[dict]:
    """Every try of every mapped instance of a task in a run (the current tries and the
    earlier ones, each with its hostname, pid, start and end)."""
    out = []
    for ti in api.task_instances(dag_id, run_id):
        if ti["task_id"] == task_id:
            out += api.task_tries(dag_id, run_id, task_id, ti["map_index"])
    return out


def runs_after(api: AirflowApi, dag_id: str, after: datetime) -> list[dict]:
    return [r for r in api.runs(dag_id) if (parse_time(r.get("queued_at")) or after) > after]


def month_ledger(warehouse: Warehouse, month: str) -> dict:
    """What a month left in the warehouse, per council, in terms that do not depend on
    submission ids: so two runs of the same month (in two databases) compare equal."""
    with connect(warehouse, role="loader") as conn:
        subs = conn.execute(
            """select subject, status, outcome, rows_loaded from ops.submissions
                               where source_kind = 'council_return' and period = %s order by 1, submission_id""",
            [month],
        ).fetchall()
        rows = conn.execute(
            """select council_code, metric_id, period, value, numerator, denominator, status
                               from raw.council_return_rows where return_period = %s order by 1, 2, 3""",
            [month],
        ).fetchall()
        checks = conn.execute(
            """select s.subject, c.check_name, c.outcome, c.failing_row_count
                                 from ops.check_results c join ops.submissions s using (submission_id)
                                 where s.period = %s and s.source_kind = 'council_return' order by 1, 2""",
            [month],
        ).fetchall()
        emails = conn.execute(
            """select subject, kind, status, recipients, subject_line from ops.outbox
               where submission_id is not null and period = %s order by 1, 2""",
            [month],
        ).fetchall()
    return {"submissions": subs, "rows": rows, "checks": checks, "emails": emails}


def contacts_of(code: str) -> set[str]:
    return {c.email.lower() for c in catalogue.contacts()[code]}


def recipients(message) -> set[str]:
    return {a.addr_spec.lower() for a in message["To"].addresses}
