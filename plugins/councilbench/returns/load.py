"""Loading an accepted return into raw with COPY, in one transaction.

The submission's rows replace any earlier load of the same submission (so a rerun
after a crash mid-load gives identical counts), the submission becomes `loaded`, and
an earlier loaded submission for the same council and month becomes `superseded`:
its rows stay in raw, so the history stays queryable.
"""

from __future__ import annotations

from councilbench.ingest.landing import settle_loaded

LOAD_COLUMNS = (
    "submission_id",
    "row_number",
    "council_code",
    "return_period",
    "metric_id",
    "period",
    "value",
    "numerator",
    "denominator",
    "status",
    "note",
)


def load_return_rows(conn, submission_id: int, rows) -> int:
    """COPY the report's rows (a DataFrame) for this submission; returns rows loaded."""
    with conn.transaction():
        conn.execute("delete from raw.council_return_rows where submission_id = %s", [submission_id])
        loaded = copy_return_rows(conn, "raw.council_return_rows", submission_id, rows)
        # The newest accepted file for a council and month wins; older ones are kept.
        settle_loaded(conn, submission_id, loaded)
    return loaded


#: Rows per COPY message: the server ingests one chunk while the next is formatted.
COPY_CHUNK_ROWS = 5_000
NUMBER_COLUMNS = ("value", "numerator", "denominator")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _text_column(values) -> list[str]:
    """COPY text format for a text column: blanks (None or NaN) as \\N, the rest escaped.
    A column repeats few values (one council, one month, the catalogue's metric ids),
    so each distinct value is escaped once."""
    seen: dict = {}
    out = []
    for v in values:
        text = seen.get(v)
        if text is None:
            text = "\\N" if v is None or (isinstance(v, float) and v != v) else _escape(str(v))
            seen[v] = text
        out.append(text)
    return out


def _number_column(values) -> list[str]:
    """Numbers as their shortest exact repr (7956.420000000001 stays that), blanks \\N."""
    return ["\\N" if v is None or v != v else repr(float(v)) if isinstance(v, float) else str(v) for v in values]


def return_rows_text(submission_id: int, rows):
    """The rows (a DataFrame with the LOAD_COLUMNS after submission_id) in COPY's text
    format, yielded in chunks of COPY_CHUNK_ROWS lines. Refuses a non-finite number (as
    landing.copy_value does) before yielding anything. Built column by column: several
    times faster than psycopg's write_row per row, so the loader keeps pace with the server."""
    import numpy as np
    import pandas as pd

    for column in ("value", "numerator", "denominator"):
        numbers = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(numbers).any():
            raise ValueError(f"refusing to load a non-finite number in column {column}")
    columns = {name: rows[name].tolist() for name in LOAD_COLUMNS[1:]}
    sid = str(int(submission_id))
    for i in range(0, len(rows), COPY_CHUNK_ROWS):
        part = [
            [sid] * len(columns["row_number"][i : i + COPY_CHUNK_ROWS]),
            [str(int(n)) for n in columns["row_number"][i : i + COPY_CHUNK_ROWS]],
        ]
        for name in LOAD_COLUMNS[2:]:
            values = columns[name][i : i + COPY_CHUNK_ROWS]
            part.append(_number_column(values) if name in NUMBER_COLUMNS else _text_column(values))
        yield "\n".join(map("\t".join, zip(*part))) + "\n"


def copy_return_rows(conn, table: str, submission_id: int, rows) -> int:
    """The COPY itself (no transaction of its own): the rows of a DataFrame with the
    LOAD_COLUMNS after submission_id, tagged with submission_id. `make bench` times
    this same function against a bare server-side COPY of the same text and against
    pandas to_sql. Blanks (None or NaN) become NULL; a non-finite number is refused.

    A queued writer sends each chunk from a thread of its own while the next is
    formatted, so the server ingests and the client formats at the same time."""
    from psycopg.copy import QueuedLibpqWriter

    chunks = return_rows_text(submission_id, rows)
    first = next(chunks, None)  # the value checks run before the COPY starts
    cursor = conn.cursor()
    writer = QueuedLibpqWriter(cursor) if len(rows) > COPY_CHUNK_ROWS else None
    with cursor.copy(f"copy {table} ({', '.join(LOAD_COLUMNS)}) from stdin", writer=writer) as copy:
        if first is not None:
            copy.write(first)
        for chunk in chunks:
            copy.write(chunk)
    return len(rows)


def previous_values(conn, council_code: str, return_month: str):
    """Each metric's latest accepted value from an earlier return of this council (last
    month for monthly metrics, last quarter for quarterly ones), as a
    validate.PreviousValues that also carries every council's latest accepted value of
    the metrics in percent (what a percentage below 1 is compared with)."""
    from councilbench.returns.validate import PreviousValues, percent_metric_ids

    percent = percent_metric_ids()
    own: dict[str, float] = {}
    by_council: dict[str, dict[str, float]] = {}
    for code, metric_id, value in conn.execute(
        """
        select distinct on (r.council_code, r.metric_id) r.council_code, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and (r.council_code = %s or r.metric_id = any(%s)) and r.return_period < %s and r.value is not null
        order by r.council_code, r.metric_id, r.return_period desc
        """,
        [council_code, sorted(percent), return_month],
    ).fetchall():
        if code == council_code:
            own[metric_id] = float(value)
        if metric_id in percent:
            by_council.setdefault(metric_id, {})[code] = float(value)
    return PreviousValues(own, by_council)


def previous_figures(conn, council_codes: list[str], first_month: str, last_month: str):
    """What `previous_values` would answer for each of these councils and each month from
    first_month to last_month, as one validate.PreviousFigures read in two queries: each
    metric's latest accepted value before first_month, and the accepted figures of the
    months from first_month up to (not including) last_month; of these councils' metrics,
    and of every council's metrics in percent."""
    from councilbench.returns.validate import PreviousFigures, percent_metric_ids

    percent = sorted(percent_metric_ids())
    before: dict[str, dict[str, float]] = {}
    for council_code, metric_id, value in conn.execute(
        """
        select distinct on (r.council_code, r.metric_id) r.council_code, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and (r.council_code = any(%s) or r.metric_id = any(%s)) and r.return_period < %s
          and r.value is not null
        order by r.council_code, r.metric_id, r.return_period desc
        """,
        [list(council_codes), percent, first_month],
    ).fetchall():
        before.setdefault(council_code, {})[metric_id] = float(value)
    loaded: dict[str, dict[str, dict[str, float]]] = {}
    for council_code, return_period, metric_id, value in conn.execute(
        """
        select r.council_code, r.return_period, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and (r.council_code = any(%s) or r.metric_id = any(%s))
          and r.return_period >= %s and r.return_period < %s and r.value is not null
        """,
        [list(council_codes), percent, first_month, last_month],
    ).fetchall():
        loaded.setdefault(council_code, {}).setdefault(return_period, {})[metric_id] = float(value)
    return PreviousFigures(before, loaded)
