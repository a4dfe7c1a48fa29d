"""The explorer's one way into the warehouse: parameterised queries on the marts, as the
analyst role (a login of its own when WAREHOUSE_ANALYST_URL is set, else SET ROLE on the
resolved warehouse), so a page can show nothing an analyst may not see.

Every query passes its values as parameters, never in the SQL text. Results are cached
for a few minutes per query and parameters: the marts change when the warehouse is
rebuilt, not between two clicks.
"""

from __future__ import annotations

import os
from functools import lru_cache

import pandas as pd
import psycopg
import streamlit as st

from councilbench.reports.data import open_marts
from councilbench.warehouse.connection import Warehouse, resolve

#: How long a query's result is reused (seconds).
CACHE_SECONDS = 300


def warehouse() -> Warehouse:
    """The warehouse WAREHOUSE_URL names (the CLI sets it for the app), else the resolved one."""
    return _resolved(os.environ.get("WAREHOUSE_URL"))


@lru_cache(maxsize=4)
def _resolved(url: str | None) -> Warehouse:
    return resolve()


def marts() -> psycopg.Connection:
    """A read-only connection as the analyst role (reports.data's readers take one). A
    warehouse that cannot be reached ends the page with one plain sentence, not a traceback."""
    try:
        return open_marts(warehouse())
    except psycopg.OperationalError as exc:
        st.error(
            f"The explorer cannot reach the warehouse ({warehouse().database}): "
            f"{str(exc).strip().splitlines()[-1]}. Check that the database is running and that "
            "WAREHOUSE_URL (or WAREHOUSE_ANALYST_URL) names it, then reload the page."
        )
        st.stop()


def query(sql: str, params: dict | tuple | list | None = None) -> pd.DataFrame:
    """Run a read-only query as the analyst role and return its rows."""
    with marts() as conn:
        cur = conn.execute(sql, params)
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def cached_query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """query(), cached for CACHE_SECONDS per SQL and parameters (a tuple: hashable)."""
    return query(sql, params)
