"""The raw tables, and COPY of an accepted submission's rows into its kind's table.

The rows come as a DataFrame of the table's columns (after submission_id) and go out in
COPY's text format, built column by column (several times faster than psycopg's
write_row per row, so the loader keeps pace with the server) and sent by a queued writer
from a thread of its own while the next chunk is formatted. `make bench` times this
against a bare server-side COPY of the same text and against pandas to_sql.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

#: Rows per COPY message: the server ingests one chunk while the next is formatted.
COPY_CHUNK_ROWS = 5_000


@dataclass(frozen=True)
class RawTable:
    """A kind's raw table: every row tagged with the submission that carried it."""

    name: str  # schema-qualified: raw.council_return_rows
    columns: tuple[str, ...]  # after submission_id, as the rows' DataFrame names them
    numbers: tuple[str, ...] = ()  # written as numbers: shortest exact repr; a non-finite one is refused
    integers: tuple[str, ...] = ("row_number",)  # never blank

    @property
    def copy_columns(self) -> tuple[str, ...]:
        return ("submission_id", *self.columns)


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


def rows_text(table: RawTable, submission_id: int, rows) -> Iterator[str]:
    """The rows in COPY's text format, yielded in chunks of COPY_CHUNK_ROWS lines.
    Refuses a non-finite number before yielding anything."""
    import numpy as np
    import pandas as pd

    for column in table.numbers:
        numbers = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(numbers).any():
            raise ValueError(f"refusing to load a non-finite number in column {column}")
    columns = {name: rows[name].tolist() for name in table.columns}
    sid = str(int(submission_id))
    for i in range(0, len(rows), COPY_CHUNK_ROWS):
        part = [[sid] * len(columns[table.columns[0]][i : i + COPY_CHUNK_ROWS])]
        for name in table.columns:
            values = columns[name][i : i + COPY_CHUNK_ROWS]
            if name in table.integers:
                part.append([str(int(n)) for n in values])
            elif name in table.numbers:
                part.append(_number_column(values))
            else:
                part.append(_text_column(values))
        yield "\n".join(map("\t".join, zip(*part, strict=True))) + "\n"


def copy_rows(conn, table: RawTable, submission_id: int, rows) -> int:
    """The COPY itself (no transaction of its own): the rows tagged with submission_id.
    Blanks (None or NaN) become NULL; a non-finite number is refused and nothing is sent."""
    from psycopg.copy import QueuedLibpqWriter

    chunks = rows_text(table, submission_id, rows)
    first = next(chunks, None)  # the value checks run before the COPY starts
    cursor = conn.cursor()
    writer = QueuedLibpqWriter(cursor) if len(rows) > COPY_CHUNK_ROWS else None
    with cursor.copy(f"copy {table.name} ({', '.join(table.copy_columns)}) from stdin", writer=writer) as copy:
        if first is not None:
            copy.write(first)
        for chunk in chunks:
            copy.write(chunk)
    return len(rows)


def replace_rows(conn, table: RawTable, submission_id: int, rows) -> int:
    """The submission's rows replace any earlier load of the same submission (a rerun
    after a crash mid-load gives identical counts). No transaction of its own."""
    conn.execute(f"delete from {table.name} where submission_id = %s", [submission_id])
    return copy_rows(conn, table, submission_id, rows)
