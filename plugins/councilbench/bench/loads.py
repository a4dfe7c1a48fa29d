"""Load speed: the loader's COPY (returns.load.copy_return_rows) against pandas
`DataFrame.to_sql` on the same rows, into two empty copies of raw.council_return_rows
(same columns, primary key and index), each in one transaction, as the same user.

to_sql runs with pandas' defaults on a SQLAlchemy engine for the same server. With
SQLAlchemy 2 and psycopg 3 those defaults are no longer one round trip per row: the
driver batches the INSERTs (insertmanyvalues / pipeline mode). For context the bench
also times to_sql the way it behaved before SQLAlchemy 2 (psycopg2, one INSERT
statement per row), which is where the folklore "COPY is 10-50x faster" comes from.
"""

from __future__ import annotations

import time

from councilbench.returns.load import LOAD_COLUMNS, copy_return_rows
from councilbench.warehouse import Warehouse, connect

SCHEMA = "bench"


def rows_from_raw(warehouse: Warehouse, limit: int):
    """Up to `limit` real loaded rows from raw.council_return_rows, renumbered as one
    submission (so both targets' primary key takes them as they are)."""
    import pandas as pd

    with connect(warehouse, role="loader") as conn:
        cur = conn.execute(f"select {', '.join(LOAD_COLUMNS[1:])} from raw.council_return_rows "
                           "order by submission_id, row_number limit %s", [limit])
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    for column in ("value", "numerator", "denominator"):
        frame[column] = frame[column].astype("float64")
    frame["row_number"] = range(1, len(frame) + 1)
    return frame


def _fresh_table(conn, name: str) -> str:
    conn.execute(f"create schema if not exists {SCHEMA}")
    conn.execute(f"drop table if exists {SCHEMA}.{name}")
    conn.execute(f"create table {SCHEMA}.{name} (like raw.council_return_rows including all)")
    conn.commit()
    return f"{SCHEMA}.{name}"


def _count(conn, table: str) -> int:
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def time_copy(warehouse: Warehouse, rows) -> float:
    with connect(warehouse) as conn:
        table = _fresh_table(conn, "load_copy")
        started = time.perf_counter()
        with conn.transaction():
            copy_return_rows(conn, table, 1, rows)
        seconds = time.perf_counter() - started
        assert _count(conn, table) == len(rows)
    return seconds


def time_to_sql(warehouse: Warehouse, rows, *, driver: str = "psycopg", batched: bool = True) -> float:
    import sqlalchemy

    name = f"load_to_sql_{driver}" + ("" if batched else "_per_row")
    with connect(warehouse) as conn:
        table = _fresh_table(conn, name)
    url = warehouse.url.replace("postgresql://", f"postgresql+{driver}://", 1)
    engine = sqlalchemy.create_engine(url, use_insertmanyvalues=batched)
    try:
        frame = rows.assign(submission_id=1)[list(LOAD_COLUMNS)]
        started = time.perf_counter()
        with engine.begin() as conn:
            frame.to_sql(name, conn, schema=SCHEMA, if_exists="append", index=False)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    with connect(warehouse) as conn:
        assert _count(conn, table) == len(rows)
    return seconds


def compare(warehouse: Warehouse, limit: int = 200_000, per_row_limit: int = 20_000) -> dict:
    """Rows per second each way on the same rows, and the ratios. The per-row to_sql is
    timed on the first `per_row_limit` rows only (it is slow; rows/s is what counts)."""
    rows = rows_from_raw(warehouse, limit)
    if rows.empty:
        raise RuntimeError("raw.council_return_rows is empty: load returns before timing loads")
    copy_s = time_copy(warehouse, rows)
    to_sql_s = time_to_sql(warehouse, rows)
    sample = rows.head(per_row_limit)
    per_row_s = time_to_sql(warehouse, sample, driver="psycopg2", batched=False)
    with connect(warehouse) as conn:
        conn.execute(f"drop schema {SCHEMA} cascade")
        conn.commit()
    copy_rps, to_sql_rps, per_row_rps = len(rows) / copy_s, len(rows) / to_sql_s, len(sample) / per_row_s
    return {"rows": len(rows), "copy_seconds": round(copy_s, 3), "to_sql_seconds": round(to_sql_s, 3),
            "copy_rows_per_second": copy_rps, "to_sql_rows_per_second": to_sql_rps,
            "ratio": copy_rps / to_sql_rps,
            "per_row_rows": len(sample), "to_sql_per_row_rows_per_second": per_row_rps,
            "ratio_per_row": copy_rps / per_row_rps}
