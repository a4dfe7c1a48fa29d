"""A ValidationReport in the words a council performance officer reads.

`render_text` is what `councilbench validate` prints and the plain-text body of the
rejection email, so it stands alone: what happened, what to fix row by row, what was
tidied without asking, and how to resubmit. The same problem in many rows (a period
Excel turned into a date in every row) is one finding that lists the rows (`findings`,
which the HTML email uses too). `failing_rows_csv` is the attachment that lists every
failing row (the text stops after MAX_ROWS_PER_CHECK findings per check).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from councilbench.core import catalogue
from councilbench.core.calendar import month_label
from councilbench.returns.contract import CHECKS, FailingRow, ValidationReport

MAX_ROWS_PER_CHECK = 50
#: Row ranges listed in words before "and N more rows".
MAX_ROW_RANGES = 8

#: Each check's title, in plain words.
CHECK_TITLES = {
    "readable": "The file could not be read",
    "columns": "Columns and numbers",
    "council_code": "Council code",
    "period": "Periods",
    "metric_known": "Metric ids",
    "metric_tier": "Metrics your council delivers",
    "status": "Status, values and notes",
    "required_metrics": "Required metrics",
    "no_duplicates": "One row per metric and period",
    "within_bounds": "Values within plausible bounds",
    "numerator_denominator": "Numerators and denominators",
    "percent_scale": "Percentages on the 0 to 100 scale",
    "month_on_month": "Changes since the previous period",
}

RESUBMIT = (
    "How to resubmit: correct the file and upload it again to the same address; the newest file for a "
    "month replaces the earlier one. Check it first with: councilbench validate FILE --council {code} "
    "--period {month}"
)


def _metric_words(metric_id: str | None) -> str:
    if not metric_id:
        return ""
    m = catalogue.metrics().get(metric_id)
    return f"metric {metric_id} ({m.metric_name})" if m else f"metric {metric_id}"


def rows_words(rows) -> str:
    """[2, 3, 4, 5, 9] -> 'rows 2 to 5 and 9'; [7] -> 'row 7'; runs of three or more as ranges."""
    rows = sorted(set(rows))
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    items: list[tuple[str, int]] = []  # (words, rows they cover)
    for run in runs:
        items += [(f"{run[0]} to {run[-1]}", len(run))] if len(run) >= 3 else [(str(r), 1) for r in run]
    if len(items) > MAX_ROW_RANGES:
        more = sum(n for _, n in items[MAX_ROW_RANGES:])
        items = items[:MAX_ROW_RANGES] + [(f"{more} more", more)]
    words = [w for w, _ in items]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"row{'s' if len(rows) > 1 else ''} {text}"


@dataclass
class Finding:
    """One problem as a person reads it: the failing rows that have exactly the same
    problem (same column, found and accepted) together."""

    rows: list[int]  # spreadsheet rows; [] for a missing metric or the return month
    metric_ids: list[str]
    column: str | None
    found: str
    accepted: str

    @property
    def metric_id(self) -> str | None:
        return self.metric_ids[0] if len(self.metric_ids) == 1 else None


def findings(failing_rows: list[FailingRow]) -> list[Finding]:
    """The failing rows of a check as findings, in order of first appearance. Rows without a
    row number (a missing metric, the return month) stay one finding each."""
    out: list[Finding] = []
    by_problem: dict[tuple, Finding] = {}
    for f in failing_rows:
        key = (f.column, f.found, f.accepted)
        if f.row is not None and key in by_problem:
            by_problem[key].rows.append(f.row)
            if f.metric_id and f.metric_id not in by_problem[key].metric_ids:
                by_problem[key].metric_ids.append(f.metric_id)
            continue
        finding = Finding(
            [f.row] if f.row is not None else [], [f.metric_id] if f.metric_id else [], f.column, f.found, f.accepted
        )
        out.append(finding)
        if f.row is not None:
            by_problem[key] = finding
    return out


def row_line(f: Finding) -> str:
    """'Row 7, metric X (Name): found '12,5x' in value; accepted: a number between 0 and 2000.'
    A finding of several rows: 'Rows 2 to 22 (21 rows): found ...'."""
    where = []
    if len(f.rows) > 1:
        where.append(f"{rows_words(f.rows)} ({len(f.rows)} rows)")
    elif f.rows:
        where.append(f"Row {f.rows[0]}")
    elif f.column == "return month":
        where.append("The return month")
    if f.metric_id:
        where.append(_metric_words(f.metric_id))
    subject = ", ".join(where) or "The file"
    subject = subject[:1].upper() + subject[1:]
    column = f" in {f.column}" if f.column and f.column != "return month" else ""
    found = "no row" if not f.rows and f.found == "(no row)" else f"found '{f.found}'{column}"
    accepted = f.accepted.rstrip(".")
    end = "" if accepted.endswith(("?", "!")) else "."
    return f"{subject}: {found}; accepted: {accepted}{end}"


def _indent(text: str, prefix: str = "   ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _check_block(number: int, check) -> list[str]:
    lines = [f"{number}. {CHECK_TITLES.get(check.check, check.check)}", _indent(check.message.rstrip(".") + ".")]
    found = findings(check.failing_rows)
    shown = found[:MAX_ROWS_PER_CHECK]
    for f in shown:
        lines.append(_indent("- " + row_line(f)))
    more = sum(max(1, len(f.rows)) for f in found[MAX_ROWS_PER_CHECK:])
    if more > 0:
        lines.append(_indent(f"... and {more} more row{'s' if more > 1 else ''} — see the attached CSV."))
    return lines


def _check_it_in_the_browser(check_url: str | None) -> str:
    """What follows the validate command when the explorer's Check a file page can be named."""
    return f", or check it in your browser: {check_url}" if check_url else ""


def render_text(report: ValidationReport, council_name: str, *, check_url: str | None = None) -> str:
    """The whole explanation of a validation, as plain text. `check_url`: the explorer's
    Check a file page for this council and month (the emails and that page give it), named
    beside the validate command."""
    month = month_label(report.return_month)
    failures, warnings = report.failures(), report.warnings()
    head = f"Return from {council_name} ({report.council_code}) for {month}: "
    if failures:
        head += (
            f"REJECTED. {len(failures)} check{'s' if len(failures) > 1 else ''} failed; nothing from this file "
            f"has been loaded. Please correct the file and send it again."
        )
    elif warnings:
        n = sum(len(c.failing_rows) for c in warnings)
        head += (
            f"ACCEPTED WITH WARNINGS. The return has been accepted; please check {n} "
            f"figure{'s' if n != 1 else ''} below."
        )
    else:
        ran = [c for c in report.checks if "(skipped)" not in c.message]
        head += f"ACCEPTED. All {len(ran)} checks passed."
    out = [head, ""]

    if failures:
        out += ["What must be fixed", "-------------------"]
        for i, check in enumerate(failures, 1):
            out += _check_block(i, check) + [""]
    if warnings:
        out += [
            "Warnings (the return is accepted; please check these figures)",
            "-------------------------------------------------------------",
        ]
        for i, check in enumerate(warnings, 1):
            out += _check_block(i, check) + [""]

    done = {c.check for c in report.checks}
    not_run = [c for c in CHECKS if c not in done]
    if not_run:
        why = (
            "the file could not be read"
            if not report.checks or not report.checks[0].passed
            else "the file's columns do not match the return template"
        )
        out += [
            f"Not checked because {why}: "
            + ", ".join(CHECK_TITLES[c].lower() for c in not_run)
            + ". They will be checked when the corrected file is sent.",
            "",
        ]
    passed = [c for c in report.checks if c.passed and "(skipped)" not in c.message]
    if passed and (failures or warnings):
        out += [
            "Passed: "
            + ", ".join(CHECK_TITLES.get(c.check, c.check).lower() for c in passed if c.check != "readable")
            + ".",
            "",
        ]
    skipped_mom = next(
        (c for c in report.checks if c.check == "month_on_month" and c.passed and "skipped" in c.message), None
    )
    if skipped_mom:
        out += [f"Month-on-month comparison: {skipped_mom.message}.", ""]

    if report.normalisations:
        out += ["What we tidied up (no action needed, but you may want to fix it at source):"]
        out += [f"- {n[:1].upper() + n[1:]}." for n in report.normalisations] + [""]

    if failures:
        out.append(RESUBMIT.format(code=report.council_code, month=report.return_month))
    else:
        out.append(
            "Nothing more to do. To check a file before sending it: councilbench validate FILE --council "
            f"{report.council_code} --period {report.return_month}"
        )
    out[-1] += _check_it_in_the_browser(check_url)
    return "\n".join(out) + "\n"


def _safe_cell(text) -> str:
    """Keep a spreadsheet from running a council's text as a formula when the CSV is opened."""
    s = "" if text is None else str(text)
    if s[:1] in ("=", "+", "@", "\t", "\r") or (s[:1] == "-" and not s[1:2].isdigit() and s[1:2] != "."):
        return "'" + s
    return s


def failing_rows_csv(report: ValidationReport) -> str:
    """Every failing (and warning) row of every check, as CSV text for an email attachment."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["row", "metric_id", "column", "found", "accepted", "check", "message"])
    for check in report.checks:
        if check.outcome == "pass":
            continue
        for f in check.failing_rows:
            w.writerow(
                [
                    "" if f.row is None else f.row,
                    f.metric_id or "",
                    f.column or "",
                    _safe_cell(f.found),
                    f.accepted,
                    check.check,
                    check.message,
                ]
            )
        if not check.failing_rows:
            w.writerow(["", "", "", "", "", check.check, check.message])
    return buf.getvalue()
