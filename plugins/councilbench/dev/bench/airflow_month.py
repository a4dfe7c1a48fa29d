"""One month pull -> marts through Airflow, three ways, on the bench's big warehouse:

- `airflow dags test` (the debugging path): council_returns, then warehouse_build until
  its dbt_build task ends; process start-up included;
- the real scheduler with the LocalExecutor: council_returns and warehouse_build unpaused,
  the scheduler creates the month's run itself (its due date has passed) and the asset
  schedules dbt;
- the real scheduler with the CeleryExecutor and two Celery workers on Redis: the month
  triggered through the REST API, the asset schedules dbt.

Under a scheduler the figure is from the council_returns run's start to the end of the
warehouse_build run's dbt_build task (the marts are built and their asset announced), as
Airflow itself records them; the services are started before and not counted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from councilbench.core import settings
from councilbench.warehouse.connection import Warehouse, connect

#: A database of the machine's Redis for the bench's Celery workers alone (flushed first).
BENCH_BROKER = "redis://127.0.0.1:6379/12"


def _month_counts(warehouse: Warehouse, month: str) -> tuple[int, int]:
    with connect(warehouse, role="loader") as conn:
        loaded = conn.execute(
            """select count(*) from ops.submissions where source_kind = 'council_return'
                                 and period = %s and status = 'loaded'""",
            [month],
        ).fetchone()[0]
    with connect(warehouse, role="analyst") as conn:
        in_marts = conn.execute(
            "select count(distinct council_code) from marts.fct_metric_value where period = %s", [month]
        ).fetchone()[0]
    return loaded, in_marts


def _overrides(warehouse: Warehouse, base_url: str, smtp_port: int) -> dict[str, str]:
    """The scratch warehouse and its own Airflow metadata, whatever the caller's
    environment names: the bench never touches the real warehouse."""
    from councilbench.orchestration.airflow_env import (
        smtp_connection,
        sqlalchemy_url,
        warehouse_connection,
    )

    return {
        "AIRFLOW_CONN_WAREHOUSE": warehouse_connection(warehouse),
        "WAREHOUSE_URL": warehouse.url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(warehouse.with_database(f"{warehouse.database}_airflow")),
        "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection("127.0.0.1", smtp_port),
        "COUNCILBENCH_RETURNS_BASE_URL": base_url,
        "DBT_QUIET": "true",
    }


def _seconds_until_task_end(log: Path, task_id: str, started: datetime) -> float:
    """Seconds from `started` to the end of a task, read from `airflow dags test` output."""
    marker = f"[DAG TEST] end task task_id={task_id} "
    for line in log.read_text().splitlines():
        if marker in line:
            return round((datetime.fromisoformat(line.split()[0]) - started).total_seconds(), 1)
    raise RuntimeError(f"no end of task {task_id} in {log}")


def month_by_dags_test(warehouse: Warehouse, month: str, base_url: str, smtp_port: int) -> dict:
    from councilbench.orchestration.airflow_env import (
        airflow_environ,
        dags_test,
        migrate,
    )

    env = airflow_environ(warehouse)
    env.update(_overrides(warehouse, base_url, smtp_port))
    migrate(env)
    returns_s = dags_test(env, "council_returns", "-c", json.dumps({"period": month}))
    started = datetime.now(UTC)
    dags_test(env, "warehouse_build")
    marts_s = _seconds_until_task_end(settings.state_path("logs") / "warehouse_build.log", "dbt_build", started)
    loaded, in_marts = _month_counts(warehouse, month)
    return {
        "council_returns_seconds": returns_s,
        "until_marts_seconds": marts_s,
        "seconds": round(returns_s + marts_s, 1),
        "loaded": loaded,
        "councils_in_marts": in_marts,
    }


def _measure(api, warehouse: Warehouse, month: str, returns_run: dict, started: datetime) -> dict:
    """From the council_returns run's start to its asset-triggered build's dbt_build end."""
    from councilbench.orchestration.api import parse_time, run_seconds

    final = api.wait_for_run("council_returns", returns_run["dag_run_id"], timeout=900)
    if final["state"] != "success":
        raise RuntimeError(f"council_returns {month} ended {final['state']}")
    build = api.wait_for_new_run("warehouse_build", started, run_type="asset_triggered", timeout=300)
    built = api.wait_for_run("warehouse_build", build["dag_run_id"], timeout=900)
    if built["state"] != "success":
        raise RuntimeError(f"warehouse_build after {month} ended {built['state']}")
    [dbt] = [t for t in api.task_instances("warehouse_build", build["dag_run_id"]) if t["task_id"] == "dbt_build"]
    [announce] = [
        t
        for t in api.task_instances("council_returns", returns_run["dag_run_id"])
        if t["task_id"] == "announce_new_files"
    ]
    begin, marts = parse_time(final["start_date"]), parse_time(dbt["end_date"])
    loaded, in_marts = _month_counts(warehouse, month)
    return {
        "seconds": round((marts - begin).total_seconds(), 1),
        "council_returns_seconds": run_seconds(final),
        "dbt_build_seconds": round((marts - parse_time(dbt["start_date"])).total_seconds(), 1),
        "asset_to_build_start_seconds": round(
            (parse_time(built["start_date"]) - parse_time(announce["end_date"])).total_seconds(), 1
        ),
        "loaded": loaded,
        "councils_in_marts": in_marts,
        "run_type": final["run_type"],
    }


def month_by_scheduler(
    warehouse: Warehouse, month: str, base_url: str, smtp_port: int, *, executor: str, scheduled: bool
) -> dict:
    """The month through running services. `scheduled`: unpausing council_returns lets the
    scheduler create the month's run (the latest month already due); otherwise the month is
    triggered through the REST API."""
    from councilbench.orchestration.api import wait_until
    from councilbench.orchestration.services import AirflowServices

    env = _overrides(warehouse, base_url, smtp_port)
    if executor == "celery":
        import redis

        redis.Redis.from_url(BENCH_BROKER).flushdb()
        env["COUNCILBENCH_CELERY_BROKER_URL"] = BENCH_BROKER
    with AirflowServices(
        warehouse,
        executor=executor,
        workers=2,
        port=None,
        env=env,
        log_dir=settings.state_path("logs", f"airflow-{executor}"),
    ) as airflow:
        api = airflow.api
        started = datetime.now(UTC)
        api.set_paused("warehouse_build", False)
        if scheduled:
            api.set_paused("council_returns", False)
            run = wait_until(
                lambda: next((r for r in api.runs("council_returns") if r["run_type"] == "scheduled"), None),
                timeout=120,
                what="the scheduled council_returns run",
            )
            if not run["data_interval_start"].startswith(month):
                raise RuntimeError(f"the scheduler ran {run['data_interval_start'][:7]}, expected {month}")
        else:
            run = api.trigger_month("council_returns", month)
            api.set_paused("council_returns", False)
        result = _measure(api, warehouse, month, run, started)
        api.wait_until_idle(["council_returns", "warehouse_build"], timeout=600)
    result["executor"] = airflow.env["AIRFLOW__CORE__EXECUTOR"]
    return result
