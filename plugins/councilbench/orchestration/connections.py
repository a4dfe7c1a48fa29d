"""Inside an Airflow task: the warehouse from the `warehouse` Airflow connection.

Outside Airflow (CLI, tests) the warehouse comes from councilbench.warehouse.connection.resolve().
"""

from __future__ import annotations

from councilbench.warehouse.connection import UrlParts, Warehouse, resolve

WAREHOUSE_CONN_ID = "warehouse"


def warehouse_from_airflow(conn_id: str = WAREHOUSE_CONN_ID) -> Warehouse:
    """The warehouse configured as an Airflow connection; falls back to resolve()
    when the connection is not defined (a developer's bare `airflow dags test`)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return resolve()
    parts = UrlParts(
        user=conn.login or "postgres",
        password=conn.password or "",
        host=conn.host or "127.0.0.1",
        port=int(conn.port or 5432),
        database=conn.schema or "councilbench",
    )
    return Warehouse(parts.url, f"airflow connection {conn_id!r}")
