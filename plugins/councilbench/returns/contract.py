"""The council return format and the validation report every step shares.

A return is one file per council per reporting month, long format, one row per metric
and period. Columns (header names, any order, case-insensitive):

    council_code, period, metric_id, value, numerator, denominator, status, note

- council_code: the council's ONS GSS code (E08000025 ...). Must be the council whose
  source served the file.
- period: monthly metrics `YYYY-MM` (the return month); quarterly metrics `YYYY-Qn`
  (calendar quarter ending in the return month: March, June, September and December
  returns only); annual metrics the financial year `YYYY-YY` ending in the return month
  (the March return only).
- value, or numerator and denominator for proportions and means (value is then
  scale x numerator / denominator; if both are given they must agree).
- status: actual, estimate or not_available. not_available needs a reason in note and
  no value. A row for an optional metric with no status and no figures is a metric not
  given: it is left out (the pre-filled template leaves optional rows so, with
  OPTIONAL_ROW_NOTE in note).
- note: free text.

Row numbers in every message are spreadsheet row numbers: the header is row 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from councilbench.ingest.checks import CheckOutcome, overall

COLUMNS = ("council_code", "period", "metric_id", "value", "numerator", "denominator", "status", "note")
REQUIRED_COLUMNS = ("council_code", "period", "metric_id", "value", "status")
STATUSES = ("actual", "estimate", "not_available")
FIRST_DATA_ROW = 2  # the header is spreadsheet row 1
#: The note the pre-filled template puts on an optional metric's row. It is the
#: template's words, not the council's: never loaded, never a reason for not_available.
OPTIONAL_ROW_NOTE = (
    "optional for your council: leave status and value blank to skip it, or give the figure "
    "with status actual or estimate"
)

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
FINANCIAL_YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")


def expected_period(frequency: str, return_month: str) -> str | None:
    """The period a metric of this frequency carries in this month's return, or None
    when the metric is not due this month (a quarterly metric in a mid-quarter month)."""
    m = MONTH_RE.match(return_month)
    if not m:
        raise ValueError(f"return month must be YYYY-MM, got {return_month!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if frequency == "monthly":
        return return_month
    if frequency == "quarterly":
        return f"{year}-Q{month // 3}" if month % 3 == 0 else None
    if frequency == "annual":
        return f"{year - 1}-{year % 100:02d}" if month == 3 else None
    raise ValueError(f"unknown frequency {frequency!r}")


# --- validation report ---------------------------------------------------------------

#: Checks in the order people should read them. severity: what failing it means.
CHECKS = {
    "readable": "fail",  # a spreadsheet at all: encoding, delimiter, header
    "columns": "fail",  # required columns present; numeric columns numeric
    "council_code": "fail",  # the council whose source served the file
    "period": "fail",  # parses, fits the metric's frequency, not in the future
    "metric_known": "fail",  # metric id in the catalogue, reported by councils
    "metric_tier": "fail",  # metric delivered by this council's tier
    "status": "fail",  # actual / estimate / not_available (+ reason)
    "required_metrics": "fail",  # every required metric present or not_available
    "no_duplicates": "fail",  # one row per (council, metric, period)
    "within_bounds": "fail",  # value inside the catalogue's plausible bounds
    "numerator_denominator": "fail",  # numerator <= denominator for proportions; agrees with value
    "percent_scale": "fail",  # a percentage given as a fraction (0.137 for 13.7%), judged
    # against the council's and the other councils' figures
    "month_on_month": "warn",  # a jump beyond the catalogue threshold: a warning only
}


@dataclass
class FailingRow:
    row: int | None  # spreadsheet row number (header = 1); None for a missing metric
    metric_id: str | None
    found: str  # the value (or text) found, as written
    accepted: str  # what would be accepted, in plain words
    column: str | None = None

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "metric_id": self.metric_id,
            "column": self.column,
            "found": self.found,
            "accepted": self.accepted,
        }


@dataclass
class ValidationReport:
    """A council return's verdict (what the lifecycle records and loads: checks,
    normalisations, rows), with the council and month it is for."""

    council_code: str
    return_month: str
    checks: list[CheckOutcome]
    normalisations: list[str] = field(default_factory=list)  # what was normalised, in plain words
    rows: object = None  # pandas DataFrame of normalised rows (loadable when outcome != fail)

    @property
    def outcome(self) -> str:
        return overall(self.checks)

    def failures(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.outcome == "fail"]

    def warnings(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.outcome == "warn"]
