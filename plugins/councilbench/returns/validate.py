"""A parsed council return -> a ValidationReport: every check, in plain English, row by row.

Three layers, each doing what it is good at:
1. Typing (Python): cells are text until here. Numbers are read with the Excel habits
   that are unambiguous ('1,234', '85.3%' on a percent metric, '£' on a pounds figure)
   normalised and recorded; anything else ('..', 'n/a', '12,5', '1.2E+05') fails the
   `columns` check with the row, column and text.
2. Row rules (Great Expectations): the suite expectations/council_return.json holds the
   reviewed rules (council code, periods, metric ids, status, duplicates, bounds,
   numerator/denominator). Every fact that differs between returns (the sender, its
   tier, the return month's expected periods) and the catalogue's facts about each
   row's metric (bounds, frequency, unit type) are columns beside each row, so no bound
   is written twice (the catalogue stays the source) and the rules compare columns.
   That lets `validate_returns` judge a whole batch of returns (a month of 33 councils,
   or several months) in ONE GX run: GX's cost is almost all fixed per run (about
   20-40 ms per expectation, whatever the row count). Failing rows come back as
   (return_key, row_number) and go to their own return's report only.
3. What GX cannot say cleanly (Python): a future return month, required metrics that
   are missing (rows that are not there), and the checks that compare a figure with
   earlier ones: a percentage given as a fraction (percent_scale: 0.137 when the
   council's previous figure and the other councils' are near 13.7) and the
   month-on-month comparison. Both read the same previous figures (load.previous_values,
   or PreviousFigures for a batch); without them (`councilbench validate` on a laptop)
   month on month is skipped and a percentage below 1 is only questioned (a warning).

GX is imported inside functions: it takes 2-3 s and DAG files must stay light.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
import statistics
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from councilbench.core import catalogue, settings
from councilbench.core.calendar import day_label, month_label
from councilbench.returns.contract import (
    CHECKS,
    FINANCIAL_YEAR_RE,
    MONTH_RE,
    OPTIONAL_ROW_NOTE,
    QUARTER_RE,
    STATUSES,
    CheckOutcome,
    FailingRow,
    ValidationReport,
    expected_period,
)
from councilbench.returns.parse import ParsedReturn, parse_return
from councilbench.returns.report_text import rows_words

SUITE_NAME = "council_return"
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
NOT_CHECKED = "not checked because the file could not be read"

TIER_WORDS = {
    "metropolitan_borough": "metropolitan borough",
    "unitary": "unitary",
    "county": "county",
    "district": "district",
}
UNIT_WORDS = {
    "percent": "percent",
    "per_100k": "per 100,000",
    "per_1000": "per 1,000",
    "count": "a count",
    "days": "days",
    "fte_days": "days per full-time equivalent employee",
    "gbp": "pounds",
    "kg": "kilograms",
    "number": None,
}

log = logging.getLogger(__name__)


# --- words ----------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "(blank)"
    if float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10000 else str(int(x))
    return format(x, ".6g")


def _plain(x: float) -> str:
    """A number as it would be typed: no thousands separators."""
    return str(int(x)) if float(x).is_integer() else format(x, ".10g")


def _blank_words(text: str) -> str:
    return text if text.strip() else "(blank)"


def _metric_label(metric_id: str | None) -> str:
    m = catalogue.metrics().get(metric_id or "")
    return f"{metric_id} ({m.metric_name})" if m else f"{metric_id}"


def _council_words(code: str) -> str:
    c = catalogue.councils().get(code)
    return f"{code} ({c.name})" if c else f"{code} (not a West Midlands council code)"


def value_words(metric) -> str:
    """What a value of this metric may be, e.g. 'a number between 0 and 100 (percent)'."""
    if metric is None:
        return "a number"
    unit = UNIT_WORDS.get(metric.unit, metric.unit)
    text = f"a number between {_fmt(metric.lower_bound)} and {_fmt(metric.upper_bound)}"
    return text + (f" ({unit})" if unit else "")


def period_words(metric, return_month: str) -> str:
    """The period this metric carries in this month's return, in words."""
    if metric is None:
        return "YYYY-MM for a monthly metric, YYYY-Qn for a quarterly one, YYYY-YY for an annual one"
    exp = expected_period(metric.frequency, return_month)
    article = "an" if metric.frequency == "annual" else "a"
    if exp:
        return f"{exp} for {article} {metric.frequency} metric in the {month_label(return_month)} return"
    if metric.frequency == "quarterly":
        return (
            f"no row in the {month_label(return_month)} return: a quarterly metric is returned only in the March, "
            f"June, September and December returns"
        )
    return (
        f"no row in the {month_label(return_month)} return: an annual metric is returned only in the March "
        f"return (for the financial year ending that month)"
    )


def _period_end(period: str) -> tuple[int, int] | None:
    """The last month a period covers, as (year, month), or None if it does not parse."""
    if m := MONTH_RE.match(period):
        return int(m.group(1)), int(m.group(2))
    if m := QUARTER_RE.match(period):
        return int(m.group(1)), int(m.group(2)) * 3
    if m := FINANCIAL_YEAR_RE.match(period):
        start = int(m.group(1))
        if (start + 1) % 100 == int(m.group(2)):
            return start + 1, 3
    return None


# --- typing ---------------------------------------------------------------------------


@dataclass
class _Row:
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


class _Notes:
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
                f"(row {row}: '{text}' read as {_plain(v)})"
            )
        if items := k.get("percent"):
            row, text, v = items[0]
            out.append(
                f"removed the '%' sign from {many(len(items), 'percentage', 'percentages')} of metrics "
                f"measured in percent (row {row}: '{text}' read as {_plain(v)})"
            )
        if items := k.get("excel_percent"):
            row, text, v, stored = items[0]
            out.append(
                f"read {many(len(items), 'cell', 'cells')} formatted as a percentage in Excel as the "
                f"percentage shown, not the fraction stored (row {row}: stored {stored}, shown {text}, read "
                f"as {_plain(v)})"
            )
        if items := k.get("pound"):
            row, text, v = items[0]
            out.append(
                f"removed the '£' sign from {many(len(items), 'amount', 'amounts')} in pounds "
                f"(row {row}: '{text}' read as {_plain(v)})"
            )
        if items := k.get("computed"):
            row, m, n, d, v = items[0]
            out.append(
                f"computed value from numerator and denominator in {many(len(items), 'row', 'rows')} where value "
                f"was blank (row {row}: {_fmt(m.scale)} × {_fmt(n)} / {_fmt(d)} = {_fmt(v)})"
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


def _read_number(
    text: str, column: str, metric, row: int, notes: _Notes, excel_stored: str | None = None
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


def _normalise(text: str, kind: str, row: int, notes: _Notes, how) -> str:
    stripped = text.strip()
    if stripped != text:
        notes.add("spaces", (row, {"code": "council_code", "metric": "metric_id"}.get(kind, kind)))
    out = how(stripped)
    if out != stripped and kind in ("status", "code", "metric", "period"):
        notes.add(kind, (row, stripped, out))
    return out


def _optional_left_blank(row: _Row) -> bool:
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


def _type_rows(
    frame, notes: _Notes, percent_cells: Mapping[tuple[int, str], str] | None = None
) -> tuple[list[_Row], list[FailingRow]]:
    """Typed rows (optional rows left blank left out) and the cells that are not numbers.
    `percent_cells`: (row, column) -> the number an Excel cell formatted as a percentage holds."""
    metrics = catalogue.metrics()
    percent_cells = percent_cells or {}
    rows: list[_Row] = []
    failures: list[FailingRow] = []
    status_forms = {re.sub(r"[\s\-]+", "_", s): s for s in STATUSES}
    names = list(frame.columns)
    # Plain lists zipped into dicts: DataFrame.to_dict("records") costs several times more.
    for rec in (dict(zip(names, values)) for values in zip(*(frame[c].tolist() for c in names))):
        rn = int(rec["row_number"])
        metric_id = _normalise(rec["metric_id"], "metric", rn, notes, lambda s: s.lower())
        metric = metrics.get(metric_id)
        status = _normalise(
            rec["status"], "status", rn, notes, lambda s: status_forms.get(re.sub(r"[\s\-]+", "_", s.lower()), s)
        )
        note = rec["note"].strip()
        template_note = note.lower() == OPTIONAL_ROW_NOTE.lower()
        row = _Row(
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
            v, failure = _read_number(rec[column], column, metric, rn, notes, percent_cells.get((rn, column)))
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


# --- Great Expectations -----------------------------------------------------------------

_GX_STATE: dict = {}
#: One GX validation at a time per process. The context, its dataframe asset and GX's
#: suite-parameter parser are shared and not thread-safe: two runs at once in one process
#: (threads) could judge one return by another's rows. GX holds the GIL anyway.
_GX_LOCK = threading.RLock()


def _gx():
    """(great_expectations module, batch definition), created once per process."""
    with _GX_LOCK:
        return _gx_locked()


def _gx_locked():
    if not _GX_STATE:
        from councilbench.ingest.gx import import_gx

        gx = import_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = context.data_sources.add_pandas("council_returns").add_dataframe_asset("return_rows")
        _GX_STATE["gx"] = gx
        _GX_STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_return")
    return _GX_STATE["gx"], _GX_STATE["batch_definition"]


def suite_path(name: str = SUITE_NAME) -> Path:
    return settings.expectations_dir() / f"{name}.json"


def load_suite_json(name: str = SUITE_NAME) -> dict:
    with open(suite_path(name), encoding="utf-8") as f:
        return json.load(f)


def load_suite(name: str = SUITE_NAME):
    """The suite as a GX ExpectationSuite (imports GX)."""
    gx, _ = _gx()
    return gx.ExpectationSuite(**load_suite_json(name))


def value_agreement_words(agreement: Mapping[str, float] | None = None) -> str:
    """How closely a value must agree with scale x numerator / denominator, in the words
    the rejection message and the council guide use. The rule is the suite's
    meta.value_agreement (`fraction_tolerance` in _gx_records), and nowhere else."""
    a = agreement or load_suite_json()["meta"]["value_agreement"]
    return f"within {_plain(a['relative'] * 100)}% of it, or within {_plain(a['absolute'])} if that is more"


def suite_parameters() -> dict:
    """The suite's parameters: catalogue and contract facts, the same for every return of a batch.

    Nothing here depends on which council sent a return or for which month: those facts
    are columns beside each row (`_gx_records`), so one GX run can judge many returns.
    """
    metrics = catalogue.metrics()
    return {
        "return_metric_ids": sorted(m.metric_id for m in metrics.values() if m.from_council_return),
        "tier_metric_keys": sorted(
            f"{tier}:{m.metric_id}" for m in metrics.values() if m.from_council_return for tier in m.delivering_tiers
        ),
        "statuses": list(STATUSES),
    }


def _gx_records(return_key: int, rows: list[_Row], council, return_month: str, agreement: dict) -> list[dict]:
    """One return's rows as GX sees them: the typed cells, plus the facts of this return
    (sender, tier, return month) and of each row's metric (catalogue) as columns."""
    records = []
    for r in rows:
        m = r.metric
        v, n, d = (r.numbers[c] for c in NUMERIC_COLUMNS)
        gap = tolerance = None
        if (
            m is not None
            and m.value_type in RATIO_TYPES
            and not r.value_computed
            and v is not None
            and n is not None
            and d
        ):
            computed = m.scale * n / d
            gap = abs(v - computed)
            tolerance = max(agreement["relative"] * abs(computed), agreement["absolute"])
        parts = (
            "both"
            if n is not None and d is not None
            else "numerator only"
            if n is not None
            else "denominator only"
            if d is not None
            else "none"
        )
        if r.unreadable & {"numerator", "denominator"}:
            parts = None  # already reported by the columns check
        records.append(
            {
                "return_key": return_key,
                "row_number": r.row_number,
                "council_code": r.council_code,
                "period": r.period,
                "metric_id": r.metric_id,
                "status": r.status,
                "note": r.note,
                "value": v,
                "numerator": n,
                "denominator": d,
                "expected_council_code": council.code,
                "council_tier": council.tier,
                "council_return_metric_id": r.metric_id if m is not None and m.from_council_return else None,
                "tier_metric": f"{council.tier}:{r.metric_id}" if m is not None and m.from_council_return else None,
                "frequency": m.frequency if m else None,
                "metric_source": m.source if m else None,
                "value_type": m.value_type if m else None,
                "expected_period": expected_period(m.frequency, return_month) if m else None,
                "lower_bound": m.lower_bound if m else None,
                "upper_bound": m.upper_bound if m else None,
                "numerator_is_part_of_denominator": "yes"
                if m and m.value_type == "proportion" and m.upper_bound <= m.scale
                else "no",
                "fraction_parts": parts,
                "fraction_gap": gap,
                "fraction_tolerance": tolerance,
            }
        )
    return records


def _gx_frame(records: list[dict]):
    import pandas as pd

    frame = pd.DataFrame.from_records(records)
    for c in ("value", "numerator", "denominator", "lower_bound", "upper_bound", "fraction_gap", "fraction_tolerance"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    return frame


#: The columns that name a failing row: which return of the batch, which spreadsheet row.
ROW_KEY = ["return_key", "row_number"]


def _run_suite(frame, suite_json: dict, parameters: dict) -> dict[str, dict[int, list[int]]]:
    """rule -> return_key -> failing spreadsheet row numbers, for every expectation of the suite."""
    with _GX_LOCK:
        return _run_suite_locked(frame, suite_json, parameters)


def _run_suite_locked(frame, suite_json: dict, parameters: dict) -> dict[str, dict[int, list[int]]]:
    gx, batch_definition = _gx()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    # Two passes: pass/fail for every rule is cheap (most returns pass everything); the
    # failing rows (COMPLETE: unexpected_index_list by return and row) only for rules that
    # failed somewhere in the batch.
    quick = batch.validate(
        gx.ExpectationSuite(**suite_json), expectation_parameters=parameters, result_format="BOOLEAN_ONLY"
    )
    failed_rules = set()
    for r in quick.results:
        info = r.exception_info or {}
        if not r.success or info.get("raised_exception"):
            failed_rules.add((r.expectation_config.meta or {}).get("rule") or r.expectation_config.type)
    failing: dict[str, dict[int, list[int]]] = {}
    if not failed_rules:
        return failing
    detail = dict(
        suite_json,
        expectations=[
            e for e in suite_json["expectations"] if ((e.get("meta") or {}).get("rule") or e["type"]) in failed_rules
        ],
    )
    result = batch.validate(
        gx.ExpectationSuite(**detail),
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ROW_KEY},
    )
    for r in result.results:
        meta = r.expectation_config.meta or {}
        rule = meta.get("rule") or r.expectation_config.type
        info = r.exception_info or {}
        if info.get("raised_exception"):
            # A broken rule is the platform's fault, not the council's: never report it as their failure.
            raise RuntimeError(f"expectation {rule} could not run: {info.get('exception_message')}")
        by_return: dict[int, set[int]] = {}
        for u in r.result.get("unexpected_index_list") or []:
            by_return.setdefault(int(u["return_key"]), set()).add(int(u["row_number"]))
        failing[rule] = {key: sorted(rows) for key, rows in by_return.items()}
    return failing


# --- explanations -------------------------------------------------------------------------


class _Explain:
    """Turns failing row numbers of each GX rule into FailingRows in plain words."""

    def __init__(self, rows: list[_Row], council, return_month: str, suite_json: dict):
        self.by_row = {r.row_number: r for r in rows}
        self.council = council
        self.month = return_month
        self.meta = {
            e["meta"]["rule"]: e["meta"] for e in suite_json["expectations"] if "rule" in (e.get("meta") or {})
        }
        self.agreement = suite_json["meta"]["value_agreement"]

    def rows(self, rule: str, numbers: list[int]) -> list[FailingRow]:
        out = []
        handler = getattr(self, f"_{rule}", None)
        for rn in numbers:
            row = self.by_row[rn]
            fr = handler(row) if handler else self._generic(rule, row)
            if fr is not None:
                out.append(fr)
        return out

    def _generic(self, rule: str, row: _Row) -> FailingRow:
        # A rule added to the suite without code here still reports something readable.
        meta = self.meta.get(rule, {})
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=", ".join(f"{k}={v!r}" for k, v in row.raw.items() if v),
            accepted=meta.get("accepted", rule),
        )

    def _council_code_is_sender(self, row):
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=_blank_words(row.raw["council_code"]),
            accepted=f"{self.council.code} ({self.council.name}), the council this file was sent for",
            column="council_code",
        )

    def _period(self, row):
        found = _blank_words(row.raw["period"])
        accepted = period_words(row.metric, self.month)
        end = _period_end(row.period)
        ret = tuple(int(x) for x in self.month.split("-"))
        if end and end > ret:
            accepted += f" ({row.period} is a future period: it ends after the return month)"
        elif EXCEL_DATE.match(row.period):
            typed = (row.metric and expected_period(row.metric.frequency, self.month)) or "the period"
            accepted += (
                f". Excel has turned the period into a date: format the period column as Text, type {typed} "
                f"again and save the file (or use the .xlsx template, whose period column is already text)"
            )
        elif row.period and not end:
            accepted += " (periods are written YYYY-MM, YYYY-Qn or YYYY-YY)" if row.metric else ""
        return FailingRow(row.row_number, row.metric_id or None, found=found, accepted=accepted, column="period")

    _period_format = _period
    _period_fits_frequency_and_month = _period

    def _metric_in_catalogue(self, row):
        metrics = catalogue.metrics()
        if row.metric is not None:  # in the catalogue, but from public data, not from councils
            return FailingRow(
                row.row_number,
                row.metric_id,
                found=row.raw["metric_id"],
                accepted=f"a metric councils return: {row.metric_id} comes from public data "
                f"({row.metric.source}), which the platform loads itself; delete this row",
                column="metric_id",
            )
        ids = [m.metric_id for m in metrics.values() if m.from_council_return]
        close = difflib.get_close_matches(row.metric_id, ids, n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]} ({metrics[close[0]].metric_name})?"
            if close
            else "see the metric catalogue or the published template for the ids"
        )
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=_blank_words(row.raw["metric_id"]),
            accepted=f"a metric id from the catalogue: {hint}",
            column="metric_id",
        )

    def _metric_delivered_by_tier(self, row):
        m = row.metric
        tiers = ", ".join(TIER_WORDS.get(t, t) for t in m.delivering_tiers)
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=row.raw["metric_id"],
            accepted=f"a metric {TIER_WORDS.get(self.council.tier, self.council.tier)} councils deliver: "
            f"{m.metric_name} is delivered by {tiers} councils; delete this row",
            column="metric_id",
        )

    def _status_in_set(self, row):
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=_blank_words(row.raw["status"]),
            accepted="one of " + ", ".join(STATUSES),
            column="status",
        )

    def _not_available_has_reason(self, row):
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found="(blank)",
            accepted="the reason the figure is not available, in note (status is not_available)",
            column="note",
        )

    def _na_figure(self, row, column):
        if column in row.unreadable:
            return None  # the columns check already asks for this cell to be blank or a number
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=row.raw[column],
            accepted=f"{column} left blank, because status is not_available (or set status to actual "
            f"or estimate if the figure is known)",
            column=column,
        )

    def _not_available_has_no_value(self, row):
        return self._na_figure(row, "value")

    def _not_available_has_no_numerator(self, row):
        return self._na_figure(row, "numerator")

    def _not_available_has_no_denominator(self, row):
        return self._na_figure(row, "denominator")

    def _reported_figure_has_value(self, row):
        if row.unreadable or row.numbers["numerator"] is not None or row.numbers["denominator"] is not None:
            return None  # unreadable (columns check) or an incomplete fraction (numerator_denominator check)
        fraction = (
            " (or numerator and denominator)" if row.metric is not None and row.metric.value_type in RATIO_TYPES else ""
        )
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found="(blank)",
            accepted=f"a value{fraction}, because status is {row.status}; {NOT_AVAILABLE_ADVICE}",
            column="value",
        )

    def _one_row_per_council_metric_period(self, row):
        same = [
            r.row_number
            for r in self.by_row.values()
            if (r.council_code, r.metric_id, r.period) == (row.council_code, row.metric_id, row.period)
            and r.row_number != row.row_number
        ]
        identical = all(self.by_row[o].raw == row.raw for o in same)
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=f"{row.metric_id} for {row.period or '(blank period)'}, also in row"
            f"{'s' if len(same) > 1 else ''} {', '.join(map(str, same))}"
            + (" (identical rows)" if identical else " (with different figures)"),
            accepted="one row per metric and period: delete the extra rows, keeping the right figure",
            column="metric_id",
        )

    def _value_bounds(self, row):
        m = row.metric
        v = row.numbers["value"]
        found = (
            row.raw["value"]
            if not row.value_computed
            else f"{_fmt(v)} (computed from numerator {_fmt(row.numbers['numerator'])} and denominator {_fmt(row.numbers['denominator'])})"
        )
        accepted = value_words(m)
        if v < 0 <= m.lower_bound:
            accepted += "; it cannot be negative"
        return FailingRow(row.row_number, row.metric_id, found=found, accepted=accepted, column="value")

    _value_at_least_lower_bound = _value_bounds
    _value_at_most_upper_bound = _value_bounds

    def _numerator_not_above_denominator(self, row):
        m = row.metric
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"numerator {row.raw['numerator'].strip()}, denominator {row.raw['denominator'].strip()}",
            accepted=f"a numerator no larger than the denominator: the numerator ({m.numerator}) is part "
            f"of the denominator ({m.denominator})",
            column="numerator",
        )

    def _denominator_positive(self, row):
        m = row.metric
        what = f" ({m.denominator})" if m is not None and m.denominator else ""
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=row.raw["denominator"],
            accepted=f"a denominator above 0{what}; if there is nothing to measure this month, leave "
            f"value, numerator and denominator blank, set status to not_available and give the "
            f"reason in note",
            column="denominator",
        )

    def _numerator_and_denominator_together(self, row):
        n, d = row.raw["numerator"].strip(), row.raw["denominator"].strip()
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"numerator {n or '(blank)'}, denominator {d or '(blank)'}",
            accepted="both numerator and denominator, or neither (then give value)",
            column="numerator" if not n else "denominator",
        )

    def _no_fraction_for_counts(self, row):
        n, d = row.raw["numerator"].strip(), row.raw["denominator"].strip()
        kind = "a count" if row.metric.value_type == "count" else "an amount"
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"numerator {n or '(blank)'}, denominator {d or '(blank)'}",
            accepted=f"numerator and denominator left blank: {row.metric_id} is {kind}, given in value",
            column="numerator" if n else "denominator",
        )

    def _value_agrees_with_fraction(self, row):
        m = row.metric
        n, d = row.numbers["numerator"], row.numbers["denominator"]
        computed = m.scale * n / d
        scale = f"{_fmt(m.scale)} × " if m.scale != 1 else ""
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"value {row.raw['value'].strip()} with numerator {_fmt(n)} and denominator {_fmt(d)}",
            accepted=f"{_fmt(round(computed, 4))} ({scale}numerator / denominator: value must be "
            f"{value_agreement_words(self.agreement)}), or leave value blank and it is computed",
            column="value",
        )


# --- checks ---------------------------------------------------------------------------------


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _rows_phrase(failing: list[FailingRow]) -> str:
    rows = [f.row for f in failing if f.row is not None]
    return f" ({rows_words(rows)})" if rows else ""


def _outcome(check: str, failing: list[FailingRow], fail_message: str, pass_message: str) -> CheckOutcome:
    severity = CHECKS[check]
    if failing:
        outcome = "warn" if severity == "warn" else "fail"
        return CheckOutcome(check, severity, outcome, fail_message + _rows_phrase(failing), failing)
    return CheckOutcome(check, severity, "pass", pass_message)


def _required_missing(rows: list[_Row], council, return_month: str) -> list[FailingRow]:
    present = {r.metric_id for r in rows}
    out = []
    for m in catalogue.return_metrics_for(council.tier):
        exp = expected_period(m.frequency, return_month)
        if m.required and exp and m.metric_id not in present:
            out.append(
                FailingRow(
                    None,
                    m.metric_id,
                    found="(no row)",
                    accepted=f"a row with period {exp} and a value, or status not_available with the reason in note",
                    column=None,
                )
            )
    return out


#: A percentage below 1 given alone (no numerator and denominator: they would fix its
#: scale) is a fraction given for a percentage, 0.137 for 13.7%, when a hundred times it
#: lies within this factor of every figure it is compared with: the council's previous
#: value of the metric and the median of the other councils' latest values. Rejected.
FRACTION_FITS_WITHIN = 3.0
#: When those figures are all at least this many times the value but a hundred times it
#: does not fit them either, the figure is questioned: a warning.
FRACTION_FAR_BELOW = 10.0


def _percent_below_one(r: _Row) -> bool:
    v = r.numbers.get("value")
    return (
        r.metric is not None
        and r.metric.unit == "percent"
        and v is not None
        and 0 < v < 1
        and r.status in ("actual", "estimate")
        and r.numbers["numerator"] is None
        and r.numbers["denominator"] is None
    )


def _compared_words(own: float | None, others: list[float]) -> str:
    parts = [f"your previous figure was {_fmt(own)}"] if own is not None else []
    if others:
        parts.append(
            f"the other {_count(len(others), 'council')}' latest figures have a median of "
            f"{_fmt(round(statistics.median(others), 2))}"
            if len(others) > 1
            else f"the one other council's latest figure is {_fmt(others[0])}"
        )
    return " and ".join(parts)


def _fraction_finding(
    r: _Row, own: float | None, others: list[float], have_history: bool
) -> tuple[FailingRow | None, bool]:
    """(what to say about this percentage below 1, or None; whether it is rejected)."""
    v = r.numbers["value"]
    text = r.raw["value"].strip()
    percent = _plain(round(v * 100, 10))
    scale = f"percentages are given from 0 to 100 ({percent} for {percent}%), not as a fraction of 1 ({text})"
    escape = f"if {text}% is right, give the numerator and denominator too"
    references = [x for x in (own, statistics.median(others) if others else None) if x is not None]

    def row(accepted):
        return FailingRow(r.row_number, r.metric_id, found=text, accepted=accepted, column="value")

    if not references:
        why = (
            "there are no earlier figures of this metric to compare it with"
            if have_history
            else "this check has no earlier figures to compare it with; when we collect the file we compare it with "
            "your council's previous figure and the other councils', and reject it if it looks like a fraction"
        )
        return row(f"{percent} if {text} is a fraction: {scale}. A warning only: {why}"), False
    if all(x / FRACTION_FITS_WITHIN <= v * 100 <= x * FRACTION_FITS_WITHIN for x in references):
        return row(
            f"{percent}: {scale}, and {text} looks like one: {_compared_words(own, others)}. "
            f"{escape[:1].upper() + escape[1:]}"
        ), True
    if all(x >= FRACTION_FAR_BELOW * v for x in references):
        return row(
            f"a percentage from 0 to 100: {text} is far below the figures it is compared with "
            f"({_compared_words(own, others)}); if it is a fraction of 1, give {percent}. A warning only: "
            f"{escape} and this goes away"
        ), False
    return None, False


def _percent_scale(rows: list[_Row], council_code: str, previous: Mapping[str, float] | None) -> CheckOutcome:
    """A percentage given as a fraction (0.137 for 13.7%), judged against the council's
    previous figure and the other councils' latest (PreviousValues.latest_by_council)."""
    by_council = getattr(previous, "latest_by_council", {})
    rejected, questioned = [], []
    for r in filter(_percent_below_one, rows):
        own = (previous or {}).get(r.metric_id)
        others = [v for c, v in by_council.get(r.metric_id, {}).items() if c != council_code]
        finding, reject = _fraction_finding(r, own, others, have_history=previous is not None)
        if finding:
            (rejected if reject else questioned).append(finding)
    if rejected:
        return CheckOutcome(
            "percent_scale",
            "fail",
            "fail",
            f"{_count(len(rejected), 'percentage looks', 'percentages look')} like a fraction of 1 "
            f"given for a percentage (0.137 for 13.7%): percentages are given from 0 to 100" + _rows_phrase(rejected),
            sorted(rejected + questioned, key=lambda f: f.row),
        )
    if questioned:
        return CheckOutcome(
            "percent_scale",
            "fail",
            "warn",
            f"{_count(len(questioned), 'percentage is', 'percentages are')} below 1 and may be a "
            f"fraction of 1 given for a percentage (0.137 for 13.7%); the return is accepted, but "
            f"please check {'it' if len(questioned) == 1 else 'them'}" + _rows_phrase(questioned),
            questioned,
        )
    return CheckOutcome(
        "percent_scale", "fail", "pass", "No percentage looks like a fraction of 1 (such as 0.137 for 13.7%)."
    )


def _month_on_month(rows: list[_Row], return_month: str, previous_values: dict | None) -> CheckOutcome:
    if previous_values is None:
        return CheckOutcome("month_on_month", "warn", "pass", "no previous month to compare (skipped)")
    warned, compared = [], 0
    for r in rows:
        m, v = r.metric, r.numbers.get("value")
        if m is None or v is None or m.mom_warn_pct is None or r.period != expected_period(m.frequency, return_month):
            continue
        prev = previous_values.get(r.metric_id)
        if prev is None or (isinstance(prev, float) and math.isnan(prev)):
            continue
        prev = float(prev)
        if prev == 0:
            continue  # a relative change from zero is undefined; bounds still apply
        compared += 1
        change = (v - prev) / abs(prev) * 100
        if abs(change) > m.mom_warn_pct:
            warned.append(
                FailingRow(
                    r.row_number,
                    r.metric_id,
                    found=f"{_fmt(v)} (previous period {_fmt(prev)}, a change of {change:+.0f}%)",
                    accepted=f"a change within ±{_fmt(m.mom_warn_pct)}% of the previous period; please check the figure "
                    f"(a warning only: the return is accepted)",
                    column="value",
                )
            )
    if not compared:
        return CheckOutcome(
            "month_on_month", "warn", "pass", "no previous figures for the metrics in this return to compare (skipped)"
        )
    return _outcome(
        "month_on_month",
        warned,
        f"{_count(len(warned), 'figure')} changed more than usual since the previous period; the return is "
        f"accepted, but please check {'it' if len(warned) == 1 else 'them'}",
        f"Compared {_count(compared, 'figure')} with the previous period: none changed more than its "
        f"catalogue threshold.",
    )


def _loadable_rows(rows: list[_Row], return_month: str):
    import pandas as pd

    # One frame from columns of plain lists (object columns keep None, not NaN, for blanks:
    # COPY writes NULL), which costs a third of building it from records.
    columns = {
        "council_code": [r.council_code for r in rows],
        "return_period": [return_month] * len(rows),
        "metric_id": [r.metric_id for r in rows],
        "period": [r.period for r in rows],
        **{c: pd.Series([r.numbers[c] for r in rows], dtype=object) for c in NUMERIC_COLUMNS},
        "status": [r.status for r in rows],
        "note": pd.Series([r.note for r in rows], dtype=object),
        "row_number": pd.Series([r.row_number for r in rows], dtype="int64"),
    }
    return pd.DataFrame(columns)


def percent_metric_ids() -> set[str]:
    """The council-return metrics measured in percent: what percent_scale looks at."""
    return {m.metric_id for m in catalogue.metrics().values() if m.from_council_return and m.unit == "percent"}


class PreviousValues(dict):
    """What a return is compared with: metric_id -> the council's latest accepted value
    before the return month (as `load.previous_values` answers; month on month compares
    with it), and `latest_by_council`: metric_id -> council code -> each council's latest
    accepted value of the metrics in percent before that month (percent_scale compares a
    percentage below 1 with the council's own and the other councils'). A plain dict of
    the council's own values still works: percent_scale then has no other councils."""

    def __init__(self, own: Mapping[str, float] = (), latest_by_council: dict[str, dict[str, float]] | None = None):
        super().__init__(own)
        self.latest_by_council = latest_by_council or {}


class PreviousFigures:
    """Previous-period figures for a batch that may hold several months of one council.

    `load.previous_values` answers "each metric's latest accepted value before this
    month" from the warehouse, which is right when the months are validated and loaded
    one by one. A batch of months is validated before any of it is loaded, so this keeps
    the same answer in memory: what the warehouse held before the batch (`before`: each
    council's latest value per metric before the batch's first month; `loaded`: its
    accepted figures for months inside the batch's range), and validate_returns adds
    each accepted return of the batch, in month order, as it goes (`accept`, replacing
    that council-month's earlier figures, as a load supersedes them). So month M of a
    backfill compares with month M-1 of the same batch, exactly as a month-by-month run.
    It holds the percent metrics of the councils outside the batch too, so `get` answers
    a PreviousValues with every council's latest percentages, as load.previous_values does.
    """

    def __init__(
        self,
        before: dict[str, dict[str, float]] | None = None,
        loaded: dict[str, dict[str, dict[str, float]]] | None = None,
    ):
        self._before = {c: dict(v) for c, v in (before or {}).items()}
        self._months = {c: {m: dict(v) for m, v in months.items()} for c, months in (loaded or {}).items()}
        self._percentages: dict[str, dict[str, dict[str, float]]] = {}  # return month -> latest_by_council

    def get(self, key: tuple[str, str], default=None) -> PreviousValues:
        council_code, return_month = key
        return PreviousValues(self._latest(council_code, return_month), self._latest_percentages(return_month))

    def _latest(self, council_code: str, return_month: str) -> dict[str, float]:
        out = dict(self._before.get(council_code, {}))
        for month, figures in sorted(self._months.get(council_code, {}).items()):
            if month < return_month:
                out.update(figures)
        return out

    def _latest_percentages(self, return_month: str) -> dict[str, dict[str, float]]:
        """metric_id -> council -> latest value before the month, for the percent metrics;
        once per month (every return of a month shares it)."""
        if return_month not in self._percentages:
            percent = percent_metric_ids()
            by_metric: dict[str, dict[str, float]] = {}
            for council_code in set(self._before) | set(self._months):
                for metric_id, value in self._latest(council_code, return_month).items():
                    if metric_id in percent:
                        by_metric.setdefault(metric_id, {})[council_code] = value
            self._percentages[return_month] = by_metric
        return self._percentages[return_month]

    def accept(self, council_code: str, return_month: str, rows) -> None:
        """An accepted return of the batch (its loadable rows) becomes that month's figures."""
        figures = {}
        for metric_id, value in zip(rows["metric_id"], rows["value"]):
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                figures[metric_id] = float(value)
        self._months.setdefault(council_code, {})[return_month] = figures
        for month in [m for m in self._percentages if m > return_month]:
            del self._percentages[month]  # they were read before this month was accepted


@dataclass
class _Pending:
    """A readable return on its way through the batch."""

    return_key: int
    council: object
    return_month: str
    report: ValidationReport
    rows: list[_Row]
    notes: _Notes


def validate_return(
    parsed_or_path: ParsedReturn | Path | str,
    *,
    council_code: str,
    return_month: str,
    today: date | None = None,
    previous_values: dict | None = None,
) -> ValidationReport:
    """Run every check of contract.CHECKS on a return, in order: a batch of one.

    `council_code`: the council whose source served the file. `return_month`: YYYY-MM.
    `previous_values`: metric_id -> the previous period's value (a PreviousValues, as
    load.previous_values answers, also carries the other councils' latest percentages),
    or None when there are no earlier figures at all, as on a laptop: the month-on-month
    check then passes as skipped, and a percentage below 1 is only questioned.

    Checks that could not run because the file could not be read (or lacks required
    columns) are left out of `report.checks` (ops.check_results holds only real
    outcomes); `not_run_checks(report)` names them.
    """
    return validate_returns(
        [(parsed_or_path, council_code, return_month)],
        today=today,
        previous_values={(council_code, return_month): previous_values},
    )[0]


def validate_returns(
    items: Iterable[tuple[ParsedReturn | Path | str, str, str]],
    *,
    today: date | None = None,
    previous_values: Mapping[tuple[str, str], dict | None] | PreviousFigures | None = None,
) -> list[ValidationReport]:
    """Validate many returns with ONE Great Expectations run; one report per item, in order.

    `items`: (ParsedReturn or path, council_code, return_month) per return, at most one
    per council and month. `previous_values`: (council_code, return_month) -> metric_id ->
    previous value, or None (a missing key is None: month-on-month skipped); a
    PreviousFigures also learns each accepted return of the batch in month order, so a
    batch of several months compares each month with the one before it.

    Each report is exactly what validating that return alone gives: the rows of all
    readable returns are concatenated with each return's facts (sender, tier, return
    month) as columns beside its rows, so the suite compares columns and every failing
    row is named by (return_key, row_number); nothing of one return can reach another's
    report. GX costs about the same for one row or thousands, so a month of 33 returns,
    or a year of them, costs about one validation.
    """
    items = list(items)
    councils = catalogue.councils()
    for _, council_code, return_month in items:  # caller errors first, before any work
        if council_code not in councils:
            raise ValueError(f"unknown council code {council_code!r}: not in the member registry")
        if not MONTH_RE.match(return_month or ""):
            raise ValueError(f"return month must be YYYY-MM, got {return_month!r}")
    today = today or date.today()

    reports: list[ValidationReport] = []
    pending: list[_Pending] = []
    for return_key, (parsed_or_path, council_code, return_month) in enumerate(items):
        parsed = parsed_or_path if isinstance(parsed_or_path, ParsedReturn) else parse_return(Path(parsed_or_path))
        report = ValidationReport(
            council_code=council_code,
            return_month=return_month,
            checks=[parsed.readable],
            normalisations=list(parsed.normalisations),
        )
        reports.append(report)
        if not parsed.readable.passed:
            continue
        if not parsed.ok:  # no usable header (or rows that do not fit it): nothing below can run
            report.checks.append(parsed.columns)
            continue
        notes = _Notes()
        rows, typing_failures = _type_rows(parsed.frame, notes, parsed.percent_cells)
        if typing_failures:
            columns = CheckOutcome(
                "columns",
                "fail",
                "fail",
                f"{_count(len(typing_failures), 'cell')} in the value, numerator or denominator columns "
                f"{'is not a number' if len(typing_failures) == 1 else 'are not numbers'}"
                + _rows_phrase(typing_failures),
                typing_failures,
            )
        else:
            columns = CheckOutcome(
                "columns",
                "fail",
                "pass",
                "All required columns are present and every value, numerator and denominator is a number.",
            )
        report.checks.append(columns)
        pending.append(_Pending(return_key, councils[council_code], return_month, report, rows, notes))

    suite_json = load_suite_json()
    agreement = suite_json["meta"]["value_agreement"]
    records = [rec for p in pending for rec in _gx_records(p.return_key, p.rows, p.council, p.return_month, agreement)]
    failing = _run_suite(_gx_frame(records), suite_json, suite_parameters()) if records else {}
    for p in pending:
        _row_checks(p, failing, suite_json, today)

    # The checks against earlier figures last, oldest month first: once a month's outcome
    # is known, a PreviousFigures passes its accepted figures on to the next month.
    for p in sorted(pending, key=lambda p: p.return_month):
        previous = None if previous_values is None else previous_values.get((p.council.code, p.return_month))
        p.report.checks.append(_percent_scale(p.rows, p.council.code, previous))
        p.report.checks.append(_month_on_month(p.rows, p.return_month, previous))
        p.report.normalisations.extend(p.notes.sentences())
        if p.report.outcome != "fail":
            p.report.rows = _loadable_rows(p.rows, p.return_month)
            if isinstance(previous_values, PreviousFigures):
                previous_values.accept(p.council.code, p.return_month, p.report.rows)
    return reports


def _row_checks(p: _Pending, failing: dict[str, dict[int, list[int]]], suite_json: dict, today: date) -> None:
    """Every check from council_code to numerator_denominator, from the suite's failing
    rows of this return (and the Python checks), appended to its report in order."""
    report, rows, council, return_month, return_key = p.report, p.rows, p.council, p.return_month, p.return_key
    explain = _Explain(rows, council, return_month, suite_json)
    by_check: dict[str, list[FailingRow]] = {c: [] for c in CHECKS}
    for e in suite_json["expectations"]:
        meta = e.get("meta") or {}
        rule = meta.get("rule")
        check = meta.get("check")
        if check not in by_check:
            raise RuntimeError(f"expectation {rule} in {SUITE_NAME}.json names unknown check {check!r}")
        seen = {(f.row, f.column) for f in by_check[check]}
        for fr in explain.rows(rule, failing.get(rule, {}).get(return_key, [])):
            if (fr.row, fr.column) not in seen:  # one line per cell, even when two rules catch it
                by_check[check].append(fr)
                seen.add((fr.row, fr.column))
    for check in by_check:
        by_check[check].sort(key=lambda f: (f.row is None, f.row or 0))

    # council_code
    wrong = by_check["council_code"]
    codes = sorted({explain.by_row[f.row].council_code for f in wrong})
    report.checks.append(
        _outcome(
            "council_code",
            wrong,
            "The file gives "
            + " and ".join(f"council code {_council_words(c)}" if c else "no council code" for c in codes)
            + f", but it was sent "
            f"for {council.code} ({council.name}); a return is only accepted for the council whose source served it",
            f"Every row is for {council.code} ({council.name}).",
        )
    )

    # period: the rows (GX) and the return month itself (here)
    period_rows = by_check["period"]
    this_month = (today.year, today.month)
    ret = tuple(int(x) for x in return_month.split("-"))
    future_return = ret > this_month
    if future_return:
        period_rows.insert(
            0,
            FailingRow(
                None,
                None,
                found=return_month,
                accepted=f"{this_month[0]:04d}-{this_month[1]:02d} or an earlier month",
                column="return month",
            ),
        )
    future_rows = [f for f in period_rows if f.row is not None and "future period" in f.accepted]
    msg = []
    if future_return:
        msg.append(
            f"future period: the return is for {month_label(return_month)}, which has not started yet "
            f"(today is {day_label(today)})"
        )
    row_fails = [f for f in period_rows if f.row is not None]
    if row_fails:
        msg.append(
            f"{_count(len(row_fails), 'row has', 'rows have')} a period that does not fit the metric's "
            f"frequency and the {month_label(return_month)} return"
            + (
                (", a future period" if len(row_fails) == 1 else f", {len(future_rows)} of them a future period")
                if future_rows
                else ""
            )
        )
    message = "; ".join(msg)
    report.checks.append(
        _outcome(
            "period",
            period_rows,
            message[:1].upper() + message[1:],
            f"Every period fits its metric's frequency and the {month_label(return_month)} return.",
        )
    )

    report.checks.append(
        _outcome(
            "metric_known",
            by_check["metric_known"],
            f"{_count(len(by_check['metric_known']), 'row has a metric id', 'rows have metric ids')} that councils do not "
            f"return (not in the metric catalogue, or loaded from public data)",
            "Every metric id is in the metric catalogue.",
        )
    )
    report.checks.append(
        _outcome(
            "metric_tier",
            by_check["metric_tier"],
            f"{_count(len(by_check['metric_tier']), 'row reports a metric', 'rows report metrics')} that "
            f"{TIER_WORDS.get(council.tier, council.tier)} councils such as {council.name} do not deliver",
            f"Every metric is one that {TIER_WORDS.get(council.tier, council.tier)} councils deliver.",
        )
    )
    report.checks.append(
        _outcome(
            "status",
            by_check["status"],
            f"{_count(len({f.row for f in by_check['status']}), 'row has', 'rows have')} a status problem: status must be "
            f"actual, estimate or not_available; not_available needs a reason in note and no figures; actual and "
            f"estimate need a value",
            "Every status is actual, estimate or not_available, with a reason for each not_available.",
        )
    )

    missing = _required_missing(rows, council, return_month)
    due = sum(
        1
        for m in catalogue.return_metrics_for(council.tier)
        if m.required and expected_period(m.frequency, return_month)
    )
    report.checks.append(
        _outcome(
            "required_metrics",
            missing,
            f"{_count(len(missing), 'required metric is', 'required metrics are')} missing: "
            + ", ".join(_metric_label(f.metric_id) for f in missing)
            + ". Add a row for each, with status not_available and the reason in note if the figure is not available",
            f"All {due} metrics required this month are present.",
        )
    )

    report.checks.append(
        _outcome(
            "no_duplicates",
            by_check["no_duplicates"],
            f"{_count(len(by_check['no_duplicates']), 'row repeats', 'rows repeat')} a metric and period given in another row",
            "One row per metric and period.",
        )
    )
    report.checks.append(
        _outcome(
            "within_bounds",
            by_check["within_bounds"],
            f"{_count(len(by_check['within_bounds']), 'value is', 'values are')} outside the plausible bounds in the "
            f"metric catalogue",
            "Every value is within the catalogue's plausible bounds.",
        )
    )
    report.checks.append(
        _outcome(
            "numerator_denominator",
            by_check["numerator_denominator"],
            f"{_count(len(by_check['numerator_denominator']), 'row has', 'rows have')} a numerator, denominator and value "
            f"that do not fit together",
            "Numerators, denominators and values agree.",
        )
    )


def not_run_checks(report: ValidationReport) -> list[str]:
    """The checks that were not run (the file could not be read, or lacks required columns)."""
    done = {c.check for c in report.checks}
    return [c for c in CHECKS if c not in done]
