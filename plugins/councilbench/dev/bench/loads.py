"""Load speed: the loader's COPY (ingest.raw.copy_rows) against the limit of
the server, and against pandas `DataFrame.to_sql`, on the same rows, each into an empty
copy of raw.council_return_rows (same columns, primary key and index) in one transaction.

The limit is a bare COPY of the same prepared text: server-side from a file the server
reads itself (COPY ... FROM '/path'), when the server is on this machine and may read
it; otherwise the prepared text sent in one COPY FROM STDIN. The loader's rows/s divided
by that says how close the loader comes to what the server can take.

to_sql runs with pandas' defaults on a SQLAlchemy engine for the same server. With
SQLAlchemy 2 and psycopg 3 those defaults are no longer one round trip per row: the
driver batches the INSERTs (insertmanyvalues / pipeline mode). For context the bench
also times to_sql the way it behaved before SQLAlchemy 2 (psycopg2, one INSERT
statement per row), which is where the folklore "COPY is 10-50x faster" comes from.
"""

from __future__ import annotations

import dataclasses
import time

from councilbench.ingest.raw import copy_rows, rows_text
from councilbench.returns.kind import RETURN_ROWS
from councilbench.warehouse.connection import Warehouse, connect

SCHEMA = "bench"


def rows_from_raw(warehouse: Warehouse, limit: int):
    """Up to `limit` real loaded rows from raw.council_return_rows, renumbered as one
    submission (so both targets' primary key takes them as they are)."""
    import pandas as pd

    with connect(warehouse, role="loader") as conn:
        cur = conn.execute(
            f"select {', '.join(RETURN_ROWS.columns)} from raw.council_return_rows "
            "order by submission_id, row_number limit %s",
            [limit],
        )
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
            copy_rows(conn, dataclasses.replace(RETURN_ROWS, name=table), 1, rows)
        seconds = time.perf_counter() - started
        assert _count(conn, table) == len(rows)
    return seconds


def time_bare_copy(warehouse: Warehouse, rows) -> tuple[float, str]:
    """A bare COPY of the loader's own prepared text: (seconds, how it was done)."""
    import os
    import tempfile

    text = "".join(rows_text(RETURN_ROWS, 1, rows))
    columns = ", ".join(RETURN_ROWS.copy_columns)
    with tempfile.NamedTemporaryFile("w", suffix=".copy", delete=False) as f:
        f.write(text)
    os.chmod(f.name, 0o644)
    try:
        with connect(warehouse) as conn:
            table = _fresh_table(conn, "load_bare")
            try:
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute(f"copy {table} ({columns}) from '{f.name}'")
                seconds, how = time.perf_counter() - started, "a bare server-side COPY FROM file"
            except Exception:  # noqa: BLE001 - a remote server, or no right to read files
                conn.rollback()
                table = _fresh_table(conn, "load_bare")
                started = time.perf_counter()
                with conn.transaction(), conn.cursor().copy(f"copy {table} ({columns}) from stdin") as copy:
                    copy.write(text)
                seconds, how = time.perf_counter() - started, "a bare COPY FROM STDIN (the server cannot read the file)"
            assert _count(conn, table) == len(rows)
    finally:
        os.unlink(f.name)
    return seconds, how


def time_to_sql(warehouse: Warehouse, rows, *, driver: str = "psycopg", batched: bool = True) -> float:
    import sqlalchemy

    name = f"load_to_sql_{driver}" + ("" if batched else "_per_row")
    with connect(warehouse) as conn:
        table = _fresh_table(conn, name)
    url = warehouse.url.replace("postgresql://", f"postgresql+{driver}://", 1)
    engine = sqlalchemy.create_engine(url, use_insertmanyvalues=batched)
    try:
        frame = rows.assign(submission_id=1)[list(RETURN_ROWS.copy_columns)]
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
    bare_s, bare_how = time_bare_copy(warehouse, rows)
    copy_s = time_copy(warehouse, rows)
    to_sql_s = time_to_sql(warehouse, rows)
    sample = rows.head(per_row_limit)
    per_row_s = time_to_sql(warehouse, sample, driver="psycopg2", batched=False)
    with connect(warehouse) as conn:
        conn.execute(f"drop schema {SCHEMA} cascade")
        conn.commit()
    copy_rps, to_sql_rps, per_row_rps = len(rows) / copy_s, len(rows) / to_sql_s, len(sample) / per_row_s
    return {
        "rows": len(rows),
        "copy_seconds": round(copy_s, 3),
        "to_sql_seconds": round(to_sql_s, 3),
        "copy_rows_per_second": copy_rps,
        "to_sql_rows_per_second": to_sql_rps,
        "ratio": copy_rps / to_sql_rps,
        "bare_seconds": round(bare_s, 3),
        "bare_rows_per_second": len(rows) / bare_s,
        "bare_how": bare_how,
        "loader_vs_bare": bare_s / copy_s,
        "per_row_rows": len(sample),
        "to_sql_per_row_rows_per_second": per_row_rps,
        "ratio_per_row": copy_rps / per_row_rps,
    }
