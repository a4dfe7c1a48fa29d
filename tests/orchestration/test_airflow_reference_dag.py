"""The reference_data DAG runs through a real Airflow (dags test, metadata in PostgreSQL) and
builds the registry and catalogue marts in a real Postgres."""

from __future__ import annotations

import pytest

from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow


def test_reference_dag_builds_dimensions(warehouse, state_dir):
    env = airflow_environ(warehouse)
    migrate(env)
    seconds = dags_test(env, "reference_data")
    assert seconds > 0
    with connect(warehouse, role="analyst") as conn:
        tiers = dict(conn.execute("select tier, count(*) from marts.dim_council group by tier").fetchall())
        metrics = conn.execute("select count(*) from marts.dim_metric").fetchone()[0]
    assert tiers == {"metropolitan_borough": 7, "unitary": 4, "county": 3, "district": 19}
    assert metrics >= 30
