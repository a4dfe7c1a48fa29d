"""Typing a council return's cells: every cell is text until here.

Numbers are read with the Excel habits that are unambiguous ('1,234', '85.3%' on a percent
metric, '£' on a pounds figure) normalised and recorded in plain words (Notes); anything
else ('..', 'n/a', '12,5', '1.2E+05') is a failing cell of the `columns` check, with the
row, the column and the text. Codes, ids, statuses and periods written in another case
or spacing are read as the contract spells them. A row of an optional metric left blank
(as the pre-filled template leaves it) is a metric not given: left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from councilbench.core import catalogue
from councilbench.returns.contract import OPTIONAL_ROW_NOTE, STATUSES, FailingRow
from councilbench.returns.report_text import rows_words
from councilbench.returns.words import UNIT_WORDS, fmt, plain, value_words

NUMERIC_COLUMNS = ("value", "numerator", "denominator")
RATIO_TYPES = ("proportion", "mean")

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
SCIENTIFIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
#: What Excel makes of a typed 2026-10 once it has read it as a date and the CSV is saved:
#: Oct-26, 1-Oct-26, October 2026, 01/10/2026, 2026-10-01 (00:00:00).
EXCEL_DATE = re.compile(
    r"^(\d{1,2}[-/ ])?[A-Za-z]{3,9}[-/ ]\d{2}(\d{2})?$|^\d{1,2}/\d{1,2}/\d{2}(\d{2})?$"
    r"|^\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?$"
)
#: Statistical suppression markers: a figure withheld or missing, never a number.
SUPPRESSION_MARKERS = {
    "..",
    ".",
    "...",
    "n/a",
    "na",
    "n.a.",
    "n.a",
    "-",
    "--",
    "–",
    "—",
    "x",
    "*",
    "c",
    "z",
    "null",
    "none",
    "nil",
    "tbc",
    "unknown",
    "not available",
    "missing",
}
EXCEL_ERRORS = {"#n/a", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#spill!", "#calc!"}

NOT_AVAILABLE_ADVICE = (
    "if the figure is not available leave value blank, set status to not_available and give the reason in note"
)


@dataclass
class Row:
    row_number: int
    raw: dict  # column -> text as written
    council_code: str
    period: str
    metric_id: str
    status: str
    note: str | None
    metric: object  # catalogue.Metric or None
    numbers: dict = field(default_factory=dict)  # column -> float | None
    unreadable: set = field(default_factory=set)  # numeric columns whose text failed typing
    value_computed: bool = False


class Notes:
    """Collects normalisations by kind and writes one plain sentence per kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, list] = {}

    def add(self, kind: str, item) -> None:
        self.kinds.setdefault(kind, []).append(item)

    def sentences(self) -> list[str]:
        out = []
        k = self.kinds

        def many(n, one, more):
            return f"{n} {one if n == 1 else more}"

        if items := k.get("thousands"):
            row, text, v = items[0]
            out.append(
                f"removed thousands separators (commas) from {many(len(items), 'number', 'numbers')} "
                f"(row {row}: '{text}' read as {plain(v)})"
            )
        if items := k.get("percent"):
            row, text, v = items[0]
            out.append(
                f"removed the '%' sign from {many(len(items), 'percentage', 'percentages')} of metrics "
                f"measured in percent (row {row}: '{text}' read as {plain(v)})"
            )
        if items := k.get("excel_percent"):
            row, text, v, stored = items[0]
            out.append(
                f"read {many(len(items), 'cell', 'cells')} formatted as a percentage in Excel as the "
                f"percentage shown, not the fraction stored (row {row}: stored {stored}, shown {text}, read "
                f"as {plain(v)})"
            )
        if items := k.get("pound"):
            row, text, v = items[0]
            out.append(
                f"removed the '£' sign from {many(len(items), 'amount', 'amounts')} in pounds "
                f"(row {row}: '{text}' read as {plain(v)})"
            )
        if items := k.get("computed"):
            row, m, n, d, v = items[0]
            out.append(
                f"computed value from numerator and denominator in {many(len(items), 'row', 'rows')} where value "
                f"was blank (row {row}: {fmt(m.scale)} × {fmt(n)} / {fmt(d)} = {fmt(v)})"
            )
        for kind, what in (
            ("status", "status"),
            ("code", "council code"),
            ("metric", "metric id"),
            ("period", "period"),
        ):
            if items := k.get(kind):
                row, before, after = items[0]
                out.append(
                    f"read {many(len(items), what, what + 's')} written in another case or spacing as the "
                    f"contract spells {'it' if len(items) == 1 else 'them'} (row {row}: '{before}' read as "
                    f"{after})"
                )
        if items := k.get("spaces"):
            out.append(
                f"trimmed spaces around the text of {many(len(items), 'cell', 'cells')} "
                f"(first: row {items[0][0]}, column {items[0][1]})"
            )
        if items := k.get("optional_blank"):
            out.append(
                f"left out {many(len(items), 'row', 'rows')} of optional metrics given no status and no "
                f"figures ({rows_words([r for r, _ in items])}: {', '.join(m for _, m in items)}): nothing "
                f"is loaded for {'it' if len(items) == 1 else 'them'}"
            )
        if items := k.get("optional_note"):
            out.append(
                f"did not load the template's note on optional metrics ('{OPTIONAL_ROW_NOTE}') in {rows_words(items)}"
            )
        return out


def read_number(
    text: str, column: str, metric, row: int, notes: Notes, excel_stored: str | None = None
) -> tuple[float | None, tuple[str, str] | None]:
    """(number or None, failure as (found, accepted) or None). `excel_stored`: the number
    an Excel cell formatted as a percentage holds (its text is what Excel shows)."""
    t = text.strip()
    if t == "":
        return None, None
    if t != text:
        notes.add("spaces", (row, column))
    lowered = t.lower()
    is_value = column == "value"
    definition = (
        None if metric is None or is_value else (metric.numerator if column == "numerator" else metric.denominator)
    )
    number_words = value_words(metric) if is_value else "a number" + (f" ({definition})" if definition else "")

    if lowered in SUPPRESSION_MARKERS:
        return None, (text, f"a number; {NOT_AVAILABLE_ADVICE}")
    if lowered in EXCEL_ERRORS or lowered.startswith("#"):
        return None, (
            text,
            f"{number_words}: the cell holds the Excel error {t}, so its formula failed; "
            f"put the figure in, or {NOT_AVAILABLE_ADVICE}",
        )
    pending = []
    if t.endswith("%"):
        if is_value and metric is not None and metric.unit == "percent":
            t = t[:-1].rstrip()
            pending.append("percent" if excel_stored is None else "excel_percent")
        elif is_value and metric is None:
            return None, ("", "")  # unit unknown: metric_known reports the row; nothing more to say here
        else:
            what = (
                f"{metric.metric_id} is measured in {UNIT_WORDS.get(metric.unit) or metric.unit}"
                if is_value and metric
                else f"the {column} is a count or an amount, not a percentage"
            )
            if excel_stored is not None:  # one finding for the cell, not a tidy-up and a failure
                return None, (
                    text,
                    f"{number_words}: the cell is formatted as a percentage in Excel, so it shows "
                    f"{t} for the {excel_stored} it holds, but {what}; format the cell as Number "
                    f"in Excel and type the figure",
                )
            return None, (text, f"{number_words} without a '%' sign: {what}")
    if t.startswith("£") and (
        (is_value and metric is not None and metric.unit == "gbp")
        or (not is_value and definition and "(£)" in definition)
    ):
        t = t[1:].strip()
        pending.append("pound")
    if THOUSANDS.match(t):
        pending.append("thousands")
        t = t.replace(",", "")
    if PLAIN_NUMBER.match(t):
        v = float(t)
        if not math.isfinite(v):  # a 400-digit figure is inf as a float: never let it through
            return None, (text, f"{number_words}: this figure has too many digits to be a real count or rate")
        for kind in pending:
            notes.add(kind, (row, text, v, excel_stored) if kind == "excel_percent" else (row, text, v))
        return v, None
    if SCIENTIFIC.match(t):
        return None, (
            text,
            f"{number_words}, written out in full: Excel saved this number in scientific notation, "
            f"which can drop digits; format the column as Number and save the file again",
        )
    if DECIMAL_COMMA.match(t):
        return None, (
            text,
            f"{number_words}, with a full stop as the decimal mark ({t.replace(',', '.')} if that "
            f"is what you meant); a comma is only read as a thousands separator, as in 1,234",
        )
    return None, (text, f"{number_words}, such as 12 or 12.5, with no other text")


def _normalise(text: str, kind: str, row: int, notes: Notes, how) -> str:
    stripped = text.strip()
    if stripped != text:
        notes.add("spaces", (row, {"code": "council_code", "metric": "metric_id"}.get(kind, kind)))
    out = how(stripped)
    if out != stripped and kind in ("status", "code", "metric", "period"):
        notes.add(kind, (row, stripped, out))
    return out


def _optional_left_blank(row: Row) -> bool:
    """A row of an optional metric with no status, no figures and no note of the council's
    own: the metric is not given (the pre-filled template leaves optional rows so)."""
    return (
        row.metric is not None
        and not row.metric.required
        and row.status == ""
        and row.note is None
        and not row.unreadable
        and all(row.numbers[c] is None for c in NUMERIC_COLUMNS)
    )


def type_rows(
    frame, notes: Notes, percent_cells: Mapping[tuple[int, str], str] | None = None
) -> tuple[list[Row], list[FailingRow]]:
    """Typed rows (optional rows left blank left out) and the cells that are not numbers.
    `percent_cells`: (row, column) -> the number an Excel cell formatted as a percentage holds."""
    metrics = catalogue.metrics()
    percent_cells = percent_cells or {}
    rows: list[Row] = []
    failures: list[FailingRow] = []
    status_forms = {re.sub(r"[\s\-]+", "_", s): s for s in STATUSES}
    names = list(frame.columns)
    # Plain lists zipped into dicts: DataFrame.to_dict("records") costs several times more.
    for rec in (
        dict(zip(names, values, strict=True)) for values in zip(*(frame[c].tolist() for c in names), strict=True)
    ):
        rn = int(rec["row_number"])
        metric_id = _normalise(rec["metric_id"], "metric", rn, notes, lambda s: s.lower())
        metric = metrics.get(metric_id)
        status = _normalise(
            rec["status"], "status", rn, notes, lambda s: status_forms.get(re.sub(r"[\s\-]+", "_", s.lower()), s)
        )
        note = rec["note"].strip()
        template_note = note.lower() == OPTIONAL_ROW_NOTE.lower()
        row = Row(
            row_number=rn,
            raw={c: rec[c] for c in rec if c != "row_number"},
            council_code=_normalise(rec["council_code"], "code", rn, notes, lambda s: s.upper()),
            period=_normalise(
                rec["period"], "period", rn, notes, lambda s: s.upper() if re.fullmatch(r"\d{4}-q[1-4]", s, re.I) else s
            ),
            metric_id=metric_id,
            status=status,
            note=None if template_note else note or None,
            metric=metric,
        )
        row_failures = []
        for column in NUMERIC_COLUMNS:
            v, failure = read_number(rec[column], column, metric, rn, notes, percent_cells.get((rn, column)))
            row.numbers[column] = v
            if failure:
                row.unreadable.add(column)
                if failure[1]:
                    row_failures.append(
                        FailingRow(rn, metric_id or None, found=failure[0], accepted=failure[1], column=column)
                    )
        if _optional_left_blank(row):
            notes.add("optional_blank", (rn, metric_id))
            continue
        failures.extend(row_failures)
        if template_note:
            notes.add("optional_note", rn)
        n, d = row.numbers["numerator"], row.numbers["denominator"]
        if (
            row.numbers["value"] is None
            and "value" not in row.unreadable
            and n is not None
            and d
            and metric is not None
            and metric.value_type in RATIO_TYPES
            and status in ("actual", "estimate")
        ):
            v = metric.scale * n / d
            row.numbers["value"] = v
            row.value_computed = True
            notes.add("computed", (rn, metric, n, d, v))
        rows.append(row)
    return rows, failures
