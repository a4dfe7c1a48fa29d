"""A parsed council return -> a ValidationReport: every check, in plain English, row by row.

Three layers, each doing what it is good at, each in a module of its own:
1. Typing (cells.py): cells are text until here. Numbers are read with the Excel habits
   that are unambiguous normalised and recorded; anything else fails the `columns` check
   with the row, column and text.
2. Row rules (rules.py, through the ingest GX runner): the suite
   expectations/council_return.json, with every fact that differs between returns as a
   column beside each row, so `validate_returns` judges a whole batch of returns (a
   month of 33 councils, or several months) in ONE GX run; explain.py words each
   failing row for the council.
3. What GX cannot say cleanly (here and previous.py): a future return month, required
   metrics that are missing (rows that are not there), and the checks that compare a
   figure with earlier ones (percent_scale and month on month), which read the same
   previous figures (previous.previous_values, or PreviousFigures for a batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from councilbench.core import catalogue
from councilbench.core.calendar import day_label, month_label
from councilbench.ingest.checks import CheckOutcome
from councilbench.returns import rules
from councilbench.returns.cells import NUMERIC_COLUMNS, Notes, Row, type_rows
from councilbench.returns.contract import CHECKS, MONTH_RE, FailingRow, ValidationReport, expected_period
from councilbench.returns.explain import Explain
from councilbench.returns.parse import ParsedReturn, parse_return
from councilbench.returns.previous import PreviousFigures, month_on_month, percent_scale
from councilbench.returns.words import (
    TIER_WORDS,
    check_outcome,
    council_words,
    count_words,
    metric_label,
    rows_phrase,
)


@dataclass
class _Pending:
    """A readable return on its way through the batch."""

    return_key: int
    council: object
    return_month: str
    report: ValidationReport
    rows: list[Row]
    notes: Notes


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
    previous.previous_values answers, also carries the other councils' latest
    percentages), or None when there are no earlier figures at all, as on a laptop: the
    month-on-month check then passes as skipped, and a percentage below 1 is only questioned.

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
        report, typed = _typed(parsed, council_code, return_month)
        reports.append(report)
        if typed is not None:
            rows, notes = typed
            pending.append(_Pending(return_key, councils[council_code], return_month, report, rows, notes))

    suite_json = rules.load_suite_json()
    agreement = suite_json["meta"]["value_agreement"]
    records = [
        rec for p in pending for rec in rules.gx_records(p.return_key, p.rows, p.council, p.return_month, agreement)
    ]
    failing = rules.failing_rows(rules.gx_frame(records), suite_json, rules.suite_parameters()) if records else {}
    for p in pending:
        _row_checks(p, failing, suite_json, today)

    # The checks against earlier figures last, oldest month first: once a month's outcome
    # is known, a PreviousFigures passes its accepted figures on to the next month.
    for p in sorted(pending, key=lambda p: p.return_month):
        previous = None if previous_values is None else previous_values.get((p.council.code, p.return_month))
        p.report.checks.append(percent_scale(p.rows, p.council.code, previous))
        p.report.checks.append(month_on_month(p.rows, p.return_month, previous))
        p.report.normalisations.extend(p.notes.sentences())
        if p.report.outcome != "fail":
            p.report.rows = _loadable_rows(p.rows, p.return_month)
            if isinstance(previous_values, PreviousFigures):
                previous_values.accept(p.council.code, p.return_month, p.report.rows)
    return reports


def _typed(
    parsed: ParsedReturn, council_code: str, return_month: str
) -> tuple[ValidationReport, tuple[list[Row], Notes] | None]:
    """The report so far (readable, columns) and the typed rows with their normalisations,
    or None when nothing below can run (unreadable, or no usable header)."""
    report = ValidationReport(
        council_code=council_code,
        return_month=return_month,
        checks=[parsed.readable],
        normalisations=list(parsed.normalisations),
    )
    if not parsed.readable.passed:
        return report, None
    if not parsed.ok:  # no usable header (or rows that do not fit it): nothing below can run
        report.checks.append(parsed.columns)
        return report, None
    notes = Notes()
    rows, typing_failures = type_rows(parsed.frame, notes, parsed.percent_cells)
    if typing_failures:
        columns = CheckOutcome(
            "columns",
            "fail",
            "fail",
            f"{count_words(len(typing_failures), 'cell')} in the value, numerator or denominator columns "
            f"{'is not a number' if len(typing_failures) == 1 else 'are not numbers'}" + rows_phrase(typing_failures),
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
    return report, (rows, notes)


def _row_checks(p: _Pending, failing: dict[str, dict[int, list[int]]], suite_json: dict, today: date) -> None:
    """Every check from council_code to numerator_denominator, from the suite's failing
    rows of this return (and the Python checks), appended to its report in order."""
    explain = Explain(p.rows, p.council, p.return_month, suite_json)
    by_check = _explained(explain, failing, suite_json, p.return_key)
    council, return_month = p.council, p.return_month
    p.report.checks.append(_council_code_check(by_check["council_code"], explain, council))
    p.report.checks.append(_period_check(by_check["period"], return_month, today))
    tier = TIER_WORDS.get(council.tier, council.tier)
    for check, fail_message, pass_message in [
        (
            "metric_known",
            f"{count_words(len(by_check['metric_known']), 'row has a metric id', 'rows have metric ids')} that councils do not "
            f"return (not in the metric catalogue, or loaded from public data)",
            "Every metric id is in the metric catalogue.",
        ),
        (
            "metric_tier",
            f"{count_words(len(by_check['metric_tier']), 'row reports a metric', 'rows report metrics')} that "
            f"{tier} councils such as {council.name} do not deliver",
            f"Every metric is one that {tier} councils deliver.",
        ),
        (
            "status",
            f"{count_words(len({f.row for f in by_check['status']}), 'row has', 'rows have')} a status problem: status must be "
            f"actual, estimate or not_available; not_available needs a reason in note and no figures; actual and "
            f"estimate need a value",
            "Every status is actual, estimate or not_available, with a reason for each not_available.",
        ),
    ]:
        p.report.checks.append(check_outcome(check, by_check[check], fail_message, pass_message))
    p.report.checks.append(_required_metrics_check(p.rows, council, return_month))
    for check, fail_message, pass_message in [
        (
            "no_duplicates",
            f"{count_words(len(by_check['no_duplicates']), 'row repeats', 'rows repeat')} a metric and period given in another row",
            "One row per metric and period.",
        ),
        (
            "within_bounds",
            f"{count_words(len(by_check['within_bounds']), 'value is', 'values are')} outside the plausible bounds in the "
            f"metric catalogue",
            "Every value is within the catalogue's plausible bounds.",
        ),
        (
            "numerator_denominator",
            f"{count_words(len(by_check['numerator_denominator']), 'row has', 'rows have')} a numerator, denominator and value "
            f"that do not fit together",
            "Numerators, denominators and values agree.",
        ),
    ]:
        p.report.checks.append(check_outcome(check, by_check[check], fail_message, pass_message))


def _explained(
    explain: Explain, failing: dict[str, dict[int, list[int]]], suite_json: dict, return_key: int
) -> dict[str, list[FailingRow]]:
    """check -> this return's failing rows in words, one line per cell (even when two
    rules catch it), in row order."""
    by_check: dict[str, list[FailingRow]] = {c: [] for c in CHECKS}
    for e in suite_json["expectations"]:
        meta = e.get("meta") or {}
        rule = meta.get("rule")
        check = meta.get("check")
        if check not in by_check:
            raise RuntimeError(f"expectation {rule} in {rules.SUITE_NAME}.json names unknown check {check!r}")
        seen = {(f.row, f.column) for f in by_check[check]}
        for fr in explain.rows(rule, failing.get(rule, {}).get(return_key, [])):
            if (fr.row, fr.column) not in seen:
                by_check[check].append(fr)
                seen.add((fr.row, fr.column))
    for check in by_check:
        by_check[check].sort(key=lambda f: (f.row is None, f.row or 0))
    return by_check


def _council_code_check(wrong: list[FailingRow], explain: Explain, council) -> CheckOutcome:
    codes = sorted({explain.by_row[f.row].council_code for f in wrong})
    return check_outcome(
        "council_code",
        wrong,
        "The file gives "
        + " and ".join(f"council code {council_words(c)}" if c else "no council code" for c in codes)
        + f", but it was sent "
        f"for {council.code} ({council.name}); a return is only accepted for the council whose source served it",
        f"Every row is for {council.code} ({council.name}).",
    )


def _period_check(period_rows: list[FailingRow], return_month: str, today: date) -> CheckOutcome:
    """The rows' periods (GX) and the return month itself (here: not in the future)."""
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
            f"{count_words(len(row_fails), 'row has', 'rows have')} a period that does not fit the metric's "
            f"frequency and the {month_label(return_month)} return"
            + (
                (", a future period" if len(row_fails) == 1 else f", {len(future_rows)} of them a future period")
                if future_rows
                else ""
            )
        )
    message = "; ".join(msg)
    return check_outcome(
        "period",
        period_rows,
        message[:1].upper() + message[1:],
        f"Every period fits its metric's frequency and the {month_label(return_month)} return.",
    )


def _required_metrics_check(rows: list[Row], council, return_month: str) -> CheckOutcome:
    """Every metric the council's tier must return this month has a row (no row to point at: not GX)."""
    present = {r.metric_id for r in rows}
    due = [
        m
        for m in catalogue.return_metrics_for(council.tier)
        if m.required and expected_period(m.frequency, return_month)
    ]
    missing = [
        FailingRow(
            None,
            m.metric_id,
            found="(no row)",
            accepted=f"a row with period {expected_period(m.frequency, return_month)} and a value, or status "
            f"not_available with the reason in note",
            column=None,
        )
        for m in due
        if m.metric_id not in present
    ]
    return check_outcome(
        "required_metrics",
        missing,
        f"{count_words(len(missing), 'required metric is', 'required metrics are')} missing: "
        + ", ".join(metric_label(f.metric_id) for f in missing)
        + ". Add a row for each, with status not_available and the reason in note if the figure is not available",
        f"All {len(due)} metrics required this month are present.",
    )


def _loadable_rows(rows: list[Row], return_month: str):
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


def not_run_checks(report: ValidationReport) -> list[str]:
    """The checks that were not run (the file could not be read, or lacks required columns)."""
    done = {c.check for c in report.checks}
    return [c for c in CHECKS if c not in done]
