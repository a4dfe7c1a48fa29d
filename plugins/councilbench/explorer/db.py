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
import streamlit as st

from councilbench.warehouse.connection import Warehouse, connect, resolve

#: How long a query's result is reused (seconds).
CACHE_SECONDS = 300


def warehouse() -> Warehouse:
    """The warehouse WAREHOUSE_URL names (the CLI sets it for the app), else the resolved one."""
    return _resolved(os.environ.get("WAREHOUSE_URL"))


@lru_cache(maxsize=4)
def _resolved(url: str | None) -> Warehouse:
    return resolve()


def query(sql: str, params: dict | tuple | list | None = None) -> pd.DataFrame:
    """Run a read-only query as the analyst role and return its rows."""
    with connect(warehouse(), role="analyst") as conn:
        conn.read_only = True
        cur = conn.execute(sql, params)
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def cached_query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """query(), cached for CACHE_SECONDS per SQL and parameters (a tuple: hashable)."""
    return query(sql, params)
