"""`make demo`: the main job end to end on the resolved warehouse, through Airflow.

Today: bootstrap the warehouse and run the reference_data DAG (registry and metric
catalogue seeded, dim_council and dim_metric built and tested). Later capabilities add
their DAGs here in flow order, so the demo is always the real monthly cycle.
"""

from __future__ import annotations

import time

from councilbench import bootstrap
from councilbench.airflow_env import airflow, airflow_environ, migrate
from councilbench.warehouse import Warehouse, connect

DEMO_DAGS = ["reference_data"]


def run_dag(env: dict[str, str], dag_id: str, *extra: str) -> float:
    """`airflow dags test` one DAG in-process (no scheduler needed); seconds taken."""
    started = time.monotonic()
    proc = airflow(env, "dags", "test", dag_id, *extra, check=False, capture=True)
    if proc.returncode != 0 or "state=failed" in proc.stdout.replace(" ", ""):
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise RuntimeError(f"DAG {dag_id} failed:\n{tail}")
    return round(time.monotonic() - started, 1)


def warehouse_summary(warehouse: Warehouse) -> dict:
    with connect(warehouse, role="analyst") as conn:
        return {
            "councils": conn.execute("select count(*) from marts.dim_council").fetchone()[0],
            "metrics": conn.execute("select count(*) from marts.dim_metric").fetchone()[0],
            "service_areas": conn.execute("select count(distinct service_area) from marts.dim_metric").fetchone()[0],
        }


def run_demo(warehouse: Warehouse) -> dict:
    started = time.monotonic()
    bootstrap.up(warehouse)
    env = airflow_environ(warehouse)
    migrate(env)
    seconds = {dag_id: run_dag(env, dag_id) for dag_id in DEMO_DAGS}
    return {
        "warehouse": f"{warehouse.database} ({warehouse.origin})",
        "dag_seconds": seconds,
        "marts": warehouse_summary(warehouse),
        "total_seconds": round(time.monotonic() - started, 1),
    }
