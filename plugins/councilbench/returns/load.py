"""Loading an accepted return into raw with COPY, in one transaction.

The submission's rows replace any earlier load of the same submission (so a rerun
after a crash mid-load gives identical counts), the submission becomes `loaded`, and
an earlier loaded submission for the same council and month becomes `superseded`:
its rows stay in raw, so the history stays queryable.
"""

from __future__ import annotations

from councilbench.landing import copy_value, settle_loaded

LOAD_COLUMNS = ("submission_id", "row_number", "council_code", "return_period", "metric_id", "period",
                "value", "numerator", "denominator", "status", "note")


def load_return_rows(conn, submission_id: int, rows) -> int:
    """COPY the report's rows (a DataFrame) for this submission; returns rows loaded."""
    records = rows.to_dict("records")
    with conn.transaction():
        conn.execute("delete from raw.council_return_rows where submission_id = %s", [submission_id])
        with conn.cursor().copy(f"copy raw.council_return_rows ({', '.join(LOAD_COLUMNS)}) from stdin") as copy:
            for r in records:
                copy.write_row([submission_id] + [copy_value(r.get(c)) for c in LOAD_COLUMNS[1:]])
        # The newest accepted file for a council and month wins; older ones are kept.
        settle_loaded(conn, submission_id, len(records))
    return len(records)


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
