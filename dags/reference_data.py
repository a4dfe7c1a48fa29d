"""Reference data: warehouse schemas and roles, member registry and metric catalogue.

Run it when the registry or catalogue seeds change (or on a fresh warehouse); loaders
and the dbt DAG read what it builds. Logic lives in councilbench.warehouse.reference_data.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from councilbench.orchestration.assets import REFERENCE_DATA
from councilbench.orchestration.dag_defaults import TAG, default_args


@dag(
    dag_id="reference_data",
    schedule=None,
    catchup=False,
    default_args=default_args(),
    tags=[TAG, "reference"],
    doc_md=__doc__,
)
def reference_data():
    @task(outlets=[REFERENCE_DATA])
    def refresh_reference_data() -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.warehouse import reference_data as ref

        return ref.refresh(warehouse_from_airflow())

    refresh_reference_data()


reference_data()
