"""Loading an accepted return into raw with COPY, in one transaction.

The submission's rows replace any earlier load of the same submission (so a rerun
after a crash mid-load gives identical counts), the submission becomes `loaded`, and
an earlier loaded submission for the same council and month becomes `superseded`:
its rows stay in raw, so the history stays queryable.
"""

from __future__ import annotations

from councilbench.landing import settle_loaded

LOAD_COLUMNS = ("submission_id", "row_number", "council_code", "return_period", "metric_id", "period",
                "value", "numerator", "denominator", "status", "note")


def load_return_rows(conn, submission_id: int, rows) -> int:
    """COPY the report's rows (a DataFrame) for this submission; returns rows loaded."""
    with conn.transaction():
        conn.execute("delete from raw.council_return_rows where submission_id = %s", [submission_id])
        loaded = copy_return_rows(conn, "raw.council_return_rows", submission_id, rows)
        # The newest accepted file for a council and month wins; older ones are kept.
        settle_loaded(conn, submission_id, loaded)
    return loaded


def copy_return_rows(conn, table: str, submission_id: int, rows) -> int:
    """The COPY itself (no transaction of its own): the rows of a DataFrame with the
    LOAD_COLUMNS after submission_id, tagged with submission_id. `make bench` times
    this same function against pandas to_sql.

    Blanks (None or NaN) become NULL and a non-finite number is refused, as
    landing.copy_value does one value at a time, but per column: twice as fast as
    converting row by row, which matters for a ten-year backfill."""
    import numpy as np
    import pandas as pd

    frame = rows[list(LOAD_COLUMNS[1:])].astype(object)
    for column in ("value", "numerator", "denominator"):
        if np.isinf(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)).any():
            raise ValueError(f"refusing to load a non-finite number in column {column}")
    frame = frame.where(frame.notna(), None)
    with conn.cursor().copy(f"copy {table} ({', '.join(LOAD_COLUMNS)}) from stdin") as copy:
        for values in frame.itertuples(index=False, name=None):
            copy.write_row((submission_id, *values))
    return len(frame)


def previous_values(conn, council_code: str, return_month: str) -> dict[str, float]:
    """Each metric's latest accepted value from an earlier return of this council:
    last month for monthly metrics, last quarter for quarterly ones."""
    rows = conn.execute(
        """
        select distinct on (r.metric_id) r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and r.council_code = %s and r.return_period < %s and r.value is not null
        order by r.metric_id, r.return_period desc
        """,
        [council_code, return_month],
    ).fetchall()
    return {metric_id: float(value) for metric_id, value in rows}


def previous_figures(conn, council_codes: list[str], first_month: str, last_month: str):
    """What `previous_values` would answer for each of these councils and each month from
    first_month to last_month, as one validate.PreviousFigures read in two queries: each
    metric's latest accepted value before first_month, and the accepted figures of the
    months from first_month up to (not including) last_month."""
    from councilbench.returns.validate import PreviousFigures

    before: dict[str, dict[str, float]] = {}
    for council_code, metric_id, value in conn.execute(
        """
        select distinct on (r.council_code, r.metric_id) r.council_code, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and r.council_code = any(%s) and r.return_period < %s and r.value is not null
        order by r.council_code, r.metric_id, r.return_period desc
        """,
        [list(council_codes), first_month],
    ).fetchall():
        before.setdefault(council_code, {})[metric_id] = float(value)
    loaded: dict[str, dict[str, dict[str, float]]] = {}
    for council_code, return_period, metric_id, value in conn.execute(
        """
        select r.council_code, r.return_period, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and r.council_code = any(%s) and r.return_period >= %s and r.return_period < %s
          and r.value is not null
        """,
        [list(council_codes), first_month, last_month],
    ).fetchall():
        loaded.setdefault(council_code, {}).setdefault(return_period, {})[metric_id] = float(value)
    return PreviousFigures(before, loaded)
