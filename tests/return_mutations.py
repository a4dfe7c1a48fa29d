"""Council return files broken at random, for the property tests (hypothesis), and the
catalogue's rules every loaded row keeps (`rule_breaches`, an oracle written from the
catalogue and the contract, not from the validator).

A Case is a sample return (`sample_returns.generate_return`: any council, any month, a
random generator seed, so the figures differ from case to case) turned into bytes:

- "habits" case (most of them): the Excel habits the contract accepts (the sample
  module's FAULTS whose outcome is "accepted": a BOM, Windows-1252, thousands separators,
  '%' signs, blank trailing rows, an Excel workbook ...), rows swapped, columns reordered,
  and a few edits at the edges of the rules (a value at a bound, a value left for the
  platform to compute, a fraction left out, a status in another case, not_available with
  a reason, an optional row deleted). Most of these are accepted, so the rule checks
  see many loaded rows;
- "damaged" case: the ways files really get broken: rows deleted, duplicated or swapped;
  a cell set to text, a negative, a huge number, a blank, '..', '%', unicode; another
  council's code; other periods; columns dropped, renamed or reordered; a figure
  rewritten with numerator and denominator; another delimiter, Windows-1252, a BOM,
  truncated, bytes flipped; or an Excel workbook's bytes damaged.

A clean case (habits only, rows swapped, columns reordered, blank rows after the data)
must always be accepted.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# Hypothesis keeps caches (and, on a failure, a patch) in a storage folder: the session's
# temporary state folder (conftest), not the working tree. Read when first needed.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(os.environ.get("COUNCILBENCH_STATE_DIR", "/tmp"), "hypothesis")
)

from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st

from councilbench.core import catalogue
from councilbench.core.calendar import month_from_index, month_index
from councilbench.dev import sample_returns as sample
from councilbench.returns.contract import COLUMNS, STATUSES, ValidationReport, expected_period
from councilbench.returns.validate import validate_returns

REPO = Path(__file__).resolve().parents[1]
CODES = sorted(catalogue.councils())
DUDLEY, TAMWORTH, WARWICKSHIRE, HEREFORDSHIRE = "E08000027", "E07000199", "E10000031", "E06000019"
#: Return months drawn from: every month of 2001 to 2025 (months with every frequency
#: due, March; quarter ends; and months with monthly metrics only). Not later: a return
#: month after today is rightly refused.
MONTHS = [month_from_index(i) for i in range(month_index("2001-01"), month_index("2025-12") + 1)]
#: The accepted habits: the sample module's own list of faults the contract normalises.
HABITS = tuple(name for name, fault in sample.FAULTS.items() if fault.outcome == "accepted")
WORKBOOK_HABITS = tuple(h for h in HABITS if h.startswith("xlsx_"))

#: Settings every property test shares: random, from the run's seed (`@seed(SEED)`, see
#: property_seed.py); no example database (a failure reproduces from the seed); no
#: shrinking (a failing case prints as a readable Case(...), and shrinking examples that
#: each cost a validation would take minutes).
COMMON = {
    "derandomize": False,
    "database": None,
    "deadline": None,
    "print_blob": False,
    "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
}


# --- the cases --------------------------------------------------------------------------

HUGE = "9" * 400  # beyond a float: reads as infinity if nobody checks
CELL_EDGES = [
    "",
    " ",
    "..",
    ".",
    "%",
    "50%",
    "n/a",
    "-",
    "—",
    "£",
    "£1,234",
    "1,234",
    "12,5",
    "1.2E+05",
    "1e-300",
    "0",
    "-0",
    "-1",
    "0.0001",
    "  7 ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    HUGE,
    "-" + HUGE,
    "1" + "0" * 308,
    "9" * 20,
    "#DIV/0!",
    "#N/A",
    "approx 12",
    "١٢٣",
    "１２",
    "12\u00a0000",
    "\u200b5",
    "x",
    "c",
    "TRUE",
    "=1+1",
    "'012",
    '"',
    ",",
    "\n",
    "\t",
    "é",
    "日本",
    "🙂",
]
STATUS_EDGES = [
    "actual",
    "Actual",
    " estimate ",
    "not available",
    "not_available",
    "NOT-AVAILABLE",
    "",
    "final",
    "provisional",
    "actual\u00a0",
]
HEADER_EDGES = [
    "Value",
    " value ",
    "VALUE",
    "Metric ID",
    "metric id",
    "council code",
    "Council_Code",
    "amount",
    "",
    "metric",
    "period ",
    "numerator",
    "note",
    "status",
    "value",
]


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(CELL_EDGES),
        st.integers(-(10**7), 10**13).map(str),
        st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
        st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False).map(str),
        st.text(max_size=12),
    )


def periods() -> st.SearchStrategy[str]:
    years = st.sampled_from([2001, 2002, 2003, 2004, 2021, 2022, 2023])
    return st.one_of(
        st.builds(lambda y, m: f"{y}-{m:02d}", years, st.integers(0, 13)),
        st.builds(lambda y, q: f"{y}-Q{q}", years, st.integers(0, 5)),
        st.builds(lambda y: f"{y}-{(y + 1) % 100:02d}", years),
        st.builds(lambda y, m: f"{y}-q{m}", years, st.integers(1, 4)),
        st.sampled_from(["", "Mar-03", "2003/04", "March 2003", "2003-3", "03-2003", " 2003-03 ", "2003-03-01"]),
        st.text(max_size=10),
    )


#: Edits of one row's figures relative to what the catalogue allows: the borderline
#: cases a validator gets wrong (value blank asks the platform to compute it).
NUDGES = (
    "value_at_lower",
    "value_at_upper",
    "value_below_lower",
    "value_above_upper",
    "value_x10",
    "negate_value",
    "blank_value",
    "blank_fraction",
    "numerator_above_denominator",
    "numerator_equals_denominator",
    "zero_denominator",
    "negative_fraction",
    "tiny_denominator",
    "huge_numerator",
    "huge_denominator",
    "huge_fraction",
    "not_available_keeping_figures",
    "not_available_with_reason",
)
index = st.integers(0, 200)
ROW_MUTATIONS = st.one_of(
    st.tuples(st.just("delete_row"), index),
    st.tuples(st.just("duplicate_row"), index),
    st.tuples(st.just("swap_rows"), index, index),
    st.tuples(st.just("cell"), index, st.sampled_from(COLUMNS), numbers()),
    st.tuples(st.just("figures"), index, numbers(), numbers(), numbers()),
    st.tuples(st.just("status"), index, st.sampled_from(STATUS_EDGES) | st.text(max_size=8)),
    st.tuples(
        st.just("council_code"),
        st.sampled_from([None, 0, 1, 2]),
        st.sampled_from(CODES + ["e08000027", "", "E0800002"]),
    ),
    st.tuples(st.just("period"), st.sampled_from([None, 0, 1, 2, 3, 5, 8]), periods()),
    st.tuples(st.just("metric_id"), index, st.sampled_from(sorted(catalogue.metrics())) | st.text(max_size=10)),
    st.tuples(st.just("drop_column"), st.sampled_from(COLUMNS)),
    st.tuples(st.just("rename_column"), st.sampled_from(COLUMNS), st.sampled_from(HEADER_EDGES) | st.text(max_size=8)),
    st.tuples(st.just("reorder_columns"), st.integers(0, 2**32)),
    st.tuples(st.just("blank_rows"), st.integers(1, 3), st.booleans()),
    st.tuples(st.just("nudge"), index, st.sampled_from(NUDGES)),
    st.tuples(st.just("nudge"), index, st.sampled_from(NUDGES)),
)
BYTE_MUTATIONS = st.one_of(
    st.tuples(st.just("truncate"), st.integers(1, 999).map(lambda k: k / 1000)),
    st.tuples(st.just("bom")),
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 2**20), st.binary(min_size=1, max_size=4)),
)


#: Edits that keep a file what it was, or put a figure at the edge of a rule.
EDGE_NUDGES = (
    "value_at_lower",
    "value_at_upper",
    "blank_value",
    "blank_fraction",
    "numerator_equals_denominator",
    "not_available_with_reason",
)
HABIT_ROW_MUTATIONS = st.one_of(
    st.tuples(st.just("swap_rows"), index, index),
    st.tuples(st.just("reorder_columns"), st.integers(0, 2**32)),
    st.tuples(st.just("blank_rows"), st.integers(1, 3), st.just(False)),
    st.tuples(st.just("nudge"), index, st.sampled_from(EDGE_NUDGES)),
    st.tuples(st.just("status"), index, st.sampled_from(["estimate", "Actual", " estimate ", "ACTUAL"])),
    st.tuples(st.just("delete_optional_row"), index),
)
#: What leaves a return exactly as acceptable as the sample was (blank rows: after the data).
CLEAN_ROW_MUTATIONS = ("swap_rows", "reorder_columns", "blank_rows")


@dataclass(frozen=True)
class Case:
    council_code: str
    month: str
    sample_seed: int = 0  # generate_return's seed: the figures
    base: str = "csv"  # csv: rows mutated, then rendered | xlsx: a workbook's bytes, damaged
    habits: tuple = ()  # accepted FAULTS applied after the row mutations (csv base only)
    row_mutations: tuple = ()
    delimiter: str = ","
    encoding: str = "utf-8"
    line_end: str = "\r\n"
    byte_mutations: tuple = field(default=())

    @property
    def clean(self) -> bool:
        """Nothing the contract refuses: habits it normalises, rows and columns moved."""
        return (
            self.base == "csv"
            and all(m[0] in CLEAN_ROW_MUTATIONS and m[-1] is not True for m in self.row_mutations)
            and not self.byte_mutations
            and self.delimiter == ","
            and self.encoding == "utf-8"
        )

    def render(self) -> bytes:
        if self.base == "xlsx":
            data = sample.faulted_bytes(self.council_code, self.month, ["xlsx_single_sheet"], seed=self.sample_seed)
        else:
            header = list(COLUMNS)
            rows = [[r[c] for c in COLUMNS] for r in sample_rows(self.council_code, self.month, self.sample_seed)]
            for mutation in self.row_mutations:
                header, rows = apply_row_mutation(mutation, header, rows)
            if self.habits:
                data = with_habits(self, header, rows)
            else:
                out = io.StringIO()
                writer = csv.writer(out, delimiter=self.delimiter, lineterminator=self.line_end)
                writer.writerow(header)
                writer.writerows(rows)
                data = out.getvalue().encode(self.encoding, errors="replace")
        for mutation in self.byte_mutations:
            data = apply_byte_mutation(mutation, data)
        return data


@cache
def sample_rows(council_code: str, month: str, seed: int) -> tuple[dict, ...]:
    return tuple(sample.as_text_rows(sample.generate_return(council_code, month, seed=seed)))


def with_habits(case: Case, header: list[str], rows: list[list[str]]) -> bytes:
    """The rows written by sample_returns' own writer with the case's habits (a habit
    that has nothing to show in these rows, say no figure of 1,000 or more, is skipped)."""
    council = catalogue.councils()[case.council_code]
    table = [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in rows]
    rf = sample.ReturnFile(council, case.month, case.sample_seed, table, columns=list(header))
    for habit in case.habits:
        with contextlib.suppress(sample.FaultNotApplicable):
            sample.FAULTS[habit].apply(rf)
    return rf.render()


def apply_row_mutation(mutation: tuple, header: list[str], rows: list[list[str]]):
    kind, *args = mutation
    rows = [list(r) for r in rows]
    header = list(header)
    col = {name: i for i, name in enumerate(header)}

    def row(i):
        return rows[i % len(rows)] if rows else None

    def set_cell(r, name, text):
        if r is not None and name in col and col[name] < len(r):
            r[col[name]] = text

    if kind == "delete_row" and rows:
        del rows[args[0] % len(rows)]
    elif kind == "duplicate_row" and rows:
        rows.insert(args[0] % (len(rows) + 1), list(row(args[0])))
    elif kind == "swap_rows" and rows:
        i, j = args[0] % len(rows), args[1] % len(rows)
        rows[i], rows[j] = rows[j], rows[i]
    elif kind == "cell":
        set_cell(row(args[0]), args[1], args[2])
    elif kind == "figures":
        for name, text in zip(("value", "numerator", "denominator"), args[1:], strict=False):
            set_cell(row(args[0]), name, text)
    elif kind == "status":
        set_cell(row(args[0]), "status", args[1])
    elif kind in ("council_code", "period"):
        targets = rows if args[0] is None else ([row(args[0])] if rows else [])
        for r in targets:
            set_cell(r, kind, args[1])
    elif kind == "metric_id":
        set_cell(row(args[0]), "metric_id", args[1])
    elif kind == "drop_column" and args[0] in col:
        i = col[args[0]]
        header.pop(i)
        rows = [r[:i] + r[i + 1 :] for r in rows]
    elif kind == "rename_column" and args[0] in col:
        header[col[args[0]]] = args[1]
    elif kind == "reorder_columns":
        order = list(range(len(header)))
        random.Random(args[0]).shuffle(order)
        header = [header[i] for i in order]
        rows = [[r[i] if i < len(r) else "" for i in order] for r in rows]
    elif kind == "delete_optional_row":
        optional = [i for i, r in enumerate(rows) if is_optional_row(r, col)]
        if optional:
            del rows[optional[args[0] % len(optional)]]
    elif kind == "nudge" and rows:
        nudge(row(args[0]), args[1], col)
    elif kind == "blank_rows":
        blank = [""] * len(header)
        rows = ([blank] * args[0] + rows) if args[1] else (rows + [blank] * args[0])
    return header, rows


def is_optional_row(r: list[str], col: dict[str, int]) -> bool:
    metric = catalogue.metrics().get(r[col["metric_id"]]) if col.get("metric_id", len(r)) < len(r) else None
    return metric is not None and not metric.required


def nudge(r: list[str], how: str, col: dict[str, int]) -> None:
    if not all(c in col and col[c] < len(r) for c in ("metric_id", "value", "numerator", "denominator", "status")):
        return
    m = catalogue.metrics().get(r[col["metric_id"]].strip().lower())
    get = lambda c: r[col[c]]  # noqa: E731

    def put(**cells):
        for c, text in cells.items():
            r[col[c]] = text

    def num(text):
        try:
            return float(text)
        except ValueError:
            return None

    lo, hi = (m.lower_bound, m.upper_bound) if m else (0.0, 100.0)
    v, n, d = num(get("value")), num(get("numerator")), num(get("denominator"))
    if how == "value_at_lower":
        put(value=f"{lo:g}", numerator="", denominator="")
    elif how == "value_at_upper":
        put(value=f"{hi:g}", numerator="", denominator="")
    elif how == "value_below_lower":
        put(value=repr(lo - max(abs(lo), 1) * 1e-3), numerator="", denominator="")
    elif how == "value_above_upper":
        put(value=repr(hi + max(abs(hi), 1) * 1e-3), numerator="", denominator="")
    elif how == "value_x10" and v is not None:
        put(value=repr(v * 10), numerator="", denominator="")
    elif how == "negate_value" and v:
        put(value=repr(-v))
    elif how == "blank_value":
        put(value="")
    elif how == "blank_fraction":
        put(numerator="", denominator="")
    elif how == "numerator_above_denominator" and d is not None:
        put(value="", numerator=repr(d + max(1.0, d * 0.01)))
    elif how == "numerator_equals_denominator" and d is not None:
        put(value="", numerator=get("denominator"))
    elif how == "zero_denominator" and d is not None:
        put(value="", denominator="0")
    elif how == "negative_fraction" and n is not None and d is not None:
        put(value="", numerator=repr(-n), denominator=repr(-d))
    elif how == "tiny_denominator" and d is not None:
        put(value="", denominator="0.001")
    elif how == "huge_numerator":
        put(value="", numerator=HUGE)
    elif how == "huge_denominator":
        put(value="", denominator=HUGE)
    elif how == "huge_fraction":
        put(value="", numerator=HUGE, denominator=HUGE)
    elif how == "not_available_keeping_figures":
        put(status="not_available")
    elif how == "not_available_with_reason" and "note" in col and col["note"] < len(r):
        put(status="not_available", value="", numerator="", denominator="")
        r[col["note"]] = "System migration: figure not available this month."


def apply_byte_mutation(mutation: tuple, data: bytes) -> bytes:
    kind, *args = mutation
    if kind == "truncate":
        return data[: int(len(data) * args[0])]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "flip" and data:
        i = args[0] % len(data)
        return data[:i] + bytes([args[1]]) + data[i + 1 :]
    if kind == "insert":
        i = args[0] % (len(data) + 1)
        return data[:i] + args[1] + data[i:]
    return data


@st.composite
def cases(draw, councils=CODES, months=MONTHS) -> Case:
    council_code, month = draw(st.sampled_from(councils)), draw(st.sampled_from(months))
    sample_seed = draw(st.integers(0, 2**31))
    # (hypothesis favours 0 and the ends of a range: a rare choice is a value in the middle)
    shape = draw(st.integers(0, 15))
    if shape == 9:
        return Case(
            council_code,
            month,
            sample_seed,
            "xlsx",
            byte_mutations=tuple(draw(st.lists(BYTE_MUTATIONS, max_size=2))),
        )
    if shape in (7, 8, 10):  # about one case in five: damaged
        return Case(
            council_code,
            month,
            sample_seed,
            "csv",
            row_mutations=tuple(draw(st.lists(ROW_MUTATIONS, min_size=1, max_size=4))),
            delimiter=draw(st.sampled_from(";\t|")) if draw(st.integers(0, 12)) == 6 else ",",
            encoding=draw(st.sampled_from(["utf-8", "utf-8", "cp1252"])),
            line_end=draw(st.sampled_from(["\r\n", "\n"])),
            byte_mutations=tuple(draw(st.lists(BYTE_MUTATIONS, min_size=1, max_size=2)))
            if draw(st.integers(0, 8)) == 4
            else (),
        )
    habits = draw(st.lists(st.sampled_from([h for h in HABITS if h not in WORKBOOK_HABITS]), max_size=3, unique=True))
    if draw(st.integers(0, 5)) == 3:  # a workbook instead of a CSV: the habit that changes the format, last
        habits.append(draw(st.sampled_from(WORKBOOK_HABITS)))
    return Case(
        council_code,
        month,
        sample_seed,
        "csv",
        habits=tuple(habits),
        row_mutations=tuple(draw(st.lists(HABIT_ROW_MUTATIONS, max_size=3))),
        line_end=draw(st.sampled_from(["\r\n", "\n"])),
    )


# --- the rules every loaded row keeps ---------------------------------------------------

AGREEMENT = json.loads((REPO / "expectations" / "council_return.json").read_text())["meta"]["value_agreement"]


def _num(x):
    return None if x is None else float(x)  # Decimal from Postgres, float from pandas (NaN stays NaN)


def rule_breaches(rows: list[dict], council_code: str, return_month: str) -> list[str]:
    """Every way these rows (as loaded, or about to be) break the catalogue's rules.

    rows: dicts with council_code, return_period, metric_id, period, value, numerator,
    denominator, status, note (numbers as float, Decimal or None)."""
    council = catalogue.councils()[council_code]
    metrics = catalogue.metrics()
    out: list[str] = []
    seen: dict[tuple, int] = {}
    for r in rows:
        where = f"row {r.get('row_number')} ({r['metric_id']!r}, {r['period']!r})"
        v, n, d = (_num(r[c]) for c in ("value", "numerator", "denominator"))
        m = metrics.get(r["metric_id"])
        if m is None or not m.from_council_return:
            out.append(f"{where}: not a council-return metric of the catalogue")
            continue
        if not m.delivered_by(council.tier):
            out.append(f"{where}: {council.tier} councils do not deliver {m.metric_id}")
        if r["council_code"] != council_code:
            out.append(f"{where}: council_code {r['council_code']!r}, but served by {council_code}")
        if r["return_period"] != return_month:
            out.append(f"{where}: return_period {r['return_period']!r} in the {return_month} return")
        due = expected_period(m.frequency, return_month)
        if r["period"] != due:
            out.append(f"{where}: a {m.frequency} metric in the {return_month} return has period {due!r}")
        if r["status"] not in STATUSES:
            out.append(f"{where}: status {r['status']!r}")
        for name, x in (("value", v), ("numerator", n), ("denominator", d)):
            if x is not None and not math.isfinite(x):
                out.append(f"{where}: {name} is {x}, not a number")
        if r["status"] == "not_available":
            if (v, n, d) != (None, None, None) or not (r["note"] or "").strip():
                out.append(f"{where}: not_available with figures or without a reason")
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(f"{where}: status {r['status']} but no value (numerator {n}, denominator {d})")
        if v is not None and math.isfinite(v) and not m.lower_bound <= v <= m.upper_bound:
            out.append(f"{where}: value {v} outside [{m.lower_bound}, {m.upper_bound}]")
        if (n is None) != (d is None):
            out.append(f"{where}: numerator without denominator or the reverse")
        if m.value_type in ("count", "amount") and (n is not None or d is not None):
            out.append(f"{where}: a {m.value_type} with a numerator or denominator")
        if d is not None and not d > 0:
            out.append(f"{where}: denominator {d} not above 0")
        if m.value_type == "proportion" and m.upper_bound <= m.scale and n is not None and d is not None and n > d:
            out.append(f"{where}: numerator {n} above denominator {d} for a share")
        if None not in (v, n, d) and d and all(map(math.isfinite, (v, n, d))):
            computed = m.scale * n / d
            if abs(v - computed) > max(AGREEMENT["relative"] * abs(computed), AGREEMENT["absolute"]) + 1e-9:
                out.append(f"{where}: value {v} but {m.scale:g} x {n} / {d} = {computed}")
        key = (r["metric_id"], r["period"])
        if key in seen:
            out.append(f"{where}: {key} also in row {seen[key]}")
        seen[key] = r.get("row_number")
    present = {r["metric_id"] for r in rows}
    for m in catalogue.return_metrics_for(council.tier):
        if m.required and expected_period(m.frequency, return_month) and m.metric_id not in present:
            out.append(f"required metric {m.metric_id} missing")
    return out


def validate_in_memory(items: list[tuple[bytes, Case]], folder: Path, previous_values=None) -> list[ValidationReport]:
    """Every file validated as the pipeline does (one batch, one Great Expectations run):
    the parser and the validator never raise, and each report reads."""
    paths = []
    for i, (data, case) in enumerate(items):
        path = folder / f"return-{i}.csv"
        path.write_bytes(data)
        paths.append((path, case.council_code, case.month))
    reports = validate_returns(paths, previous_values=previous_values)
    for report in reports:
        assert isinstance(report, ValidationReport)
        assert report.outcome in ("pass", "warn", "fail")
        assert all(isinstance(c.message, str) and c.message for c in report.checks)
    return reports


def loadable_rows(report: ValidationReport) -> list[dict]:
    return [] if report.rows is None else report.rows.to_dict("records")
