"""The warehouse_build DAG through a real Airflow (dags test): dbt build and docs on the
built warehouse, and the marts asset announced for the reports DAG."""

from __future__ import annotations

import pytest

import warehouse_data as wd
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.orchestration.assets import COUNCIL_PAY, COUNCIL_RETURNS, COUNCIL_SPEND, MARTS, PUBLIC_STATISTICS
from councilbench.warehouse.build import docs_dir
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow


def test_dag_is_scheduled_on_the_loaders_assets():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions.asset import AssetAny

    from councilbench.core import settings

    dag = DagBag(dag_folder=str(settings.dags_dir() / "warehouse_build.py")).dags["warehouse_build"]
    condition = dag.timetable.asset_condition
    assert isinstance(condition, AssetAny)  # either loader triggers a build
    assert {a.uri for a in condition.objects} == {
        COUNCIL_RETURNS.uri, PUBLIC_STATISTICS.uri, COUNCIL_SPEND.uri, COUNCIL_PAY.uri
    }  # fmt: skip
    assert [o.uri for o in dag.get_task("dbt_build").outlets] == [MARTS.uri]
    assert dag.max_active_runs == 1


def test_dag_builds_the_warehouse_and_announces_the_marts(reference_warehouse, state_dir):
    built = wd.built_warehouse(reference_warehouse, state_dir)
    env = airflow_environ(built.warehouse)
    migrate(env)
    index = docs_dir() / "index.html"
    index.unlink(missing_ok=True)
    seconds = dags_test(env, "warehouse_build")
    print(f"\nwarehouse_build DAG: {seconds} s")
    # One page with the manifest inlined (dbt docs generate --static): it opens from disk.
    assert (docs_dir() / "manifest.json").read_text() in index.read_text()
    # The asset event, read from Airflow's metadata database (PostgreSQL).
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg://", "postgresql://", 1)
    with connect(metadata) as conn:
        events = conn.execute(
            """select count(*) from asset_event e join asset a on a.id = e.asset_id
                                 where a.uri = %s and e.source_dag_id = 'warehouse_build'""",
            [MARTS.uri],
        ).fetchone()[0]
    assert events >= 1
