"""A mart against its oracle, cell by cell (the spend, pay and submission-quality oracles;
diff.py does the same for the benchmarking and context marts' rows of dicts): the same
columns, the same rows by key, and every value equal: text, counts, flags, dates and
times exactly, the numeric columns named in `tolerances` within their absolute
tolerance. What differs is said as a person reads it: the mart, the column, how many
rows differ, and a few of them with their key and both values."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from councilbench.warehouse.connection import Warehouse, connect

#: How many differing rows a diff shows per column.
EXAMPLES = 5


@dataclass(frozen=True)
class Compared:
    """What a comparison covered (rows x columns of one mart) and what it found."""

    mart: str
    rows: int
    columns: int
    differences: int = 0  # differing cells, and rows only on one side
    problems: tuple[str, ...] = ()  # each said as a person reads it

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @property
    def clean(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        return f"{self.mart}: {self.rows} rows x {self.columns} columns = {self.cells} values, {self.differences} differences"

    def report(self, key: list[str]) -> str:
        return f"{self.mart} differs from its oracle ({key} as the key):\n" + "\n".join(self.problems)


def read_frame(warehouse: Warehouse, query: str, params=(), *, role: str = "analyst") -> pd.DataFrame:
    """A query's rows as a frame of plain Python values (Decimal, date, datetime, None)."""
    with connect(warehouse, role=role) as conn:
        cur = conn.execute(query, list(params))
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description], dtype=object)


def plain(value):
    """A cell as a plain Python value: None for every kind of missing, numpy and pandas
    scalars unwrapped, so a mart's Decimal and an oracle's int or float compare."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return plain(value.item())
    return value


def _number(value) -> float:
    return float(value) if isinstance(value, Decimal | int | float) and not isinstance(value, bool) else math.nan


def _equal(a, b, tolerance: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if tolerance is not None:
        return abs(_number(a) - _number(b)) <= tolerance
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b  # aware datetimes: the same instant
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _keyed(frame: pd.DataFrame, key: list[str], side: str, problems: list[str]) -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    duplicates = []
    for record in frame.to_dict("records"):
        k = tuple(plain(record[c]) for c in key)
        if k in rows:
            duplicates.append(k)
        rows[k] = {c: plain(v) for c, v in record.items()}
    if duplicates:
        problems.append(f"{len(duplicates)} {side} rows repeat a key {key}, e.g. {duplicates[:EXAMPLES]}")
    return rows


def check(
    mart: str,
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    key: list[str],
    tolerances: dict[str, float] | None = None,
) -> Compared:
    """Every row and column of `actual` (the mart) against `expected` (the oracle): what
    differs, in readable problems (`.clean` when none; `.report(key)` says them).

    The oracle must produce every column the mart publishes: a column the mart gains
    differs here until the oracle computes it too."""
    tolerances = tolerances or {}
    differences = 0
    problems: list[str] = []
    if set(actual.columns) != set(expected.columns):
        problems.append(
            f"columns differ: only in the mart {sorted(set(actual.columns) - set(expected.columns))}, "
            f"only in the oracle {sorted(set(expected.columns) - set(actual.columns))}"
        )
    unknown = set(tolerances) - set(actual.columns)
    if unknown:
        problems.append(f"tolerances for columns the mart does not have: {sorted(unknown)}")
    mart_rows = _keyed(actual, key, "mart", problems)
    oracle_rows = _keyed(expected, key, "oracle", problems)
    only_mart = sorted(set(mart_rows) - set(oracle_rows), key=repr)
    only_oracle = sorted(set(oracle_rows) - set(mart_rows), key=repr)
    differences += len(only_mart) + len(only_oracle)
    if only_mart:
        problems.append(f"{len(only_mart)} rows only in the mart, e.g. {only_mart[:EXAMPLES]}")
    if only_oracle:
        problems.append(f"{len(only_oracle)} rows only in the oracle, e.g. {only_oracle[:EXAMPLES]}")
    both = sorted(set(mart_rows) & set(oracle_rows), key=repr)
    columns = [c for c in actual.columns if c in set(expected.columns) and c not in key]
    for column in columns:
        tolerance = tolerances.get(column)
        differing = [k for k in both if not _equal(mart_rows[k][column], oracle_rows[k][column], tolerance)]
        differences += len(differing)
        if differing:
            within = f" (tolerance {tolerance:g})" if tolerance is not None else ""
            lines = [f"{column}{within}: {len(differing)} of {len(both)} rows differ"]
            lines += [
                f"    {dict(zip(key, k, strict=True))}: mart {mart_rows[k][column]!r}, oracle {oracle_rows[k][column]!r}"
                for k in differing[:EXAMPLES]
            ]
            problems.append("\n".join(lines))
    if problems and not differences:
        differences = 1  # a shape problem (columns, repeated keys) counts once
    return Compared(mart, len(both), len(actual.columns), differences, tuple(problems))
