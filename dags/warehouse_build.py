"""The benchmarking warehouse: dbt builds staging, intermediate and marts from the raw
council returns and public statistics, tests the data (dbt data tests; the unit tests,
which check the SQL's logic on fixed inputs, run in CI with `make test`), and generates
the dbt docs site.

Runs whenever a loader announces new data: the council_returns DAG (asset
councilbench://warehouse/raw/council_return_rows), the public_sources DAG
(councilbench://warehouse/raw/public_observations), the council_spend DAG (its lines,
suppliers resolved and expenses categorised) or the council_pay DAG
(councilbench://warehouse/raw/council_pay_posts). One run at a time. dbt acts as the
transformer role; the analyst role reads only the marts. Incremental models process only
what changed since their last build (a table with other columns than its model documents
is rebuilt from all of history by itself); trigger with `{"full_refresh": true}` to
rebuild everything. Each failing dbt node is logged on its own line and named in the error.
The marts asset (councilbench://warehouse/marts) is announced as soon as `dbt build`
passes; the reports DAG is scheduled on it. Docs: <state>/dbt/docs/index.html, one page
with everything inlined (dbt docs generate --static) that opens from disk.
Logic lives in councilbench.warehouse.build.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import COUNCIL_PAY, COUNCIL_RETURNS, COUNCIL_SPEND, MARTS, PUBLIC_STATISTICS
from councilbench.orchestration.dag_defaults import TAG, default_args


@dag(
    dag_id="warehouse_build",
    schedule=(COUNCIL_RETURNS | PUBLIC_STATISTICS | COUNCIL_SPEND | COUNCIL_PAY),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[TAG, "dbt", "warehouse"],
    doc_md=__doc__,
    params={
        "full_refresh": Param(
            False, type="boolean", description="Rebuild incremental models from all of history (dbt --full-refresh)."
        ),
    },
)
def warehouse_build():
    @task(outlets=[MARTS])
    def dbt_build() -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.warehouse.build import build_models

        full_refresh = bool(get_current_context()["params"].get("full_refresh"))
        # Unit tests run in CI (`make test`); production runs the models and data tests.
        return build_models(warehouse_from_airflow(), full_refresh=full_refresh, unit_tests=False)

    @task
    def dbt_docs() -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.warehouse.build import generate_docs

        return generate_docs(warehouse_from_airflow())

    dbt_build() >> dbt_docs()


warehouse_build()
