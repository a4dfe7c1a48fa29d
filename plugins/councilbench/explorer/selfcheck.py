"""The Check a file page's work: a council's return, uploaded in the browser, read and
checked exactly as the pipeline reads and checks a fetched one, and answered with exactly
what its email would carry (the text and the failing-rows CSV).

- Read: the council-return source kind's own parse (returns.kind.RETURNS.parse), on the
  bytes in a temporary folder as the landing store keeps a file (named by its SHA-256,
  with the name it was uploaded under as its original name), so every message, limits
  included (returns.parse: 20 MB, CSV or XLSX by content, a web page named as one), is
  the pipeline's word for word.
- Check: returns.validate.validate_return, as `councilbench validate` and the pipeline
  run it, with the earlier figures the pipeline compares with (month on month, a
  percentage given as a fraction). The pipeline reads them from raw and ops
  (returns.previous.previous_values), which the explorer's analyst role cannot reach;
  `previous_values` here reads the same figures from marts.fct_metric_value, the value
  that counts per council, metric and period from loaded returns (see its doc for the
  one case where the two can differ).
- Answer: returns.report_text.render_text with the email's check-page link, and
  failing_rows_csv, the rejection email's attachment, under its name.

Nothing is landed, recorded in ops or loaded: the temporary folder goes when the check
is done, and the only database access is one read of the marts.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from councilbench.core import catalogue
from councilbench.core.calendar import add_months
from councilbench.explorer import db
from councilbench.ingest.ledger import Landed
from councilbench.returns import email_render, kind
from councilbench.returns.contract import ValidationReport
from councilbench.returns.previous import PreviousValues, percent_metric_ids
from councilbench.returns.report_text import failing_rows_csv, render_text
from councilbench.returns.validate import validate_return

#: Months back from this one that the page offers (more when the ledger goes back further).
MONTHS_BACK = 24


@dataclass
class SelfCheck:
    """What the platform would answer about this file for this council and month."""

    council: catalogue.Council
    return_month: str
    report: ValidationReport
    text: str  # the email's words (report_text.render_text)
    csv: str | None  # the failing-rows CSV (failing_rows_csv); None when no row is named

    @property
    def rejected(self) -> bool:
        return self.report.outcome == "fail"

    @property
    def warned(self) -> bool:
        return bool(self.report.warnings())

    @property
    def csv_name(self) -> str:
        """The rejection email's attachment name: dudley-2026-10-failing-rows.csv."""
        return email_render.attachment_name(self.council, self.return_month)

    def failing_rows(self) -> pd.DataFrame:
        """The CSV as a table (every cell as text, exactly as in the file)."""
        if self.csv is None:
            return pd.DataFrame()
        return pd.read_csv(io.StringIO(self.csv), dtype=str, keep_default_na=False)


def this_month(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year}-{today.month:02d}"


def default_month(today: date | None = None) -> str:
    """The month whose return councils are sending now: last month."""
    return add_months(this_month(today), -1)


def months_offered(today: date | None = None) -> list[str]:
    """This month back to MONTHS_BACK months ago, or to the first month the ledger knows
    (mart_submission_quality) when that is earlier; newest first."""
    newest = this_month(today)
    first = db.cached_query("select min(return_month) as first from marts.mart_submission_quality")["first"].iloc[0]
    oldest = add_months(newest, -MONTHS_BACK)
    if isinstance(first, str) and first < oldest:
        oldest = first
    months, month = [], newest
    while month >= oldest:
        months.append(month)
        month = add_months(month, -1)
    return months


def previous_values(council_code: str, return_month: str) -> PreviousValues:
    """What returns.previous.previous_values answers (each metric's latest value from an
    earlier return of this council, and every council's latest percentages), read as the
    analyst from marts.fct_metric_value (source_kind council_return: loaded returns only).

    The one difference: the mart keeps only the newest loaded value of each council, metric
    and period, so a figure restated by a return of this month or later (a quarter given
    again) is compared at its restated value, where the pipeline uses the earlier return's
    row. Checking a month not yet sent, the usual case, the two are the same.
    """
    percent = percent_metric_ids()
    rows = db.query(
        """
        select distinct on (council_code, metric_id) council_code, metric_id, value
        from marts.fct_metric_value
        where source_kind = 'council_return' and (council_code = %s or metric_id = any(%s))
          and return_month < %s and value is not null
        order by council_code, metric_id, return_month desc, period desc""",
        (council_code, sorted(percent), return_month),
    )
    own: dict[str, float] = {}
    by_council: dict[str, dict[str, float]] = {}
    for code, metric_id, value in rows.itertuples(index=False):
        if code == council_code:
            own[metric_id] = float(value)
        if metric_id in percent:
            by_council.setdefault(metric_id, {})[code] = float(value)
    return PreviousValues(own, by_council)


def read(data: bytes, council_code: str, return_month: str, file_name: str | None = None):
    """The pipeline's parse of these bytes (returns.kind.RETURNS.parse), from a temporary
    file named as the landing store names it; the file is gone when this returns."""
    target = kind.council_month(council_code, return_month)
    with tempfile.TemporaryDirectory(prefix="councilbench-check-") as folder:
        sha256 = hashlib.sha256(data).hexdigest()
        path = Path(folder) / sha256
        path.write_bytes(data)
        landed = Landed(0, sha256, len(data), path, True, "received", original_name=file_name)
        return kind.RETURNS.parse(landed, target)


def check_file(
    data: bytes, council_code: str, return_month: str, *, file_name: str | None = None, today: date | None = None
) -> SelfCheck:
    """Read and check an uploaded return as the pipeline would; say what its email would say."""
    council = catalogue.councils()[council_code]
    report = validate_return(
        read(data, council_code, return_month, file_name),
        council_code=council_code,
        return_month=return_month,
        today=today,
        previous_values=previous_values(council_code, return_month),
    )
    text = render_text(report, council.name, check_url=email_render.check_page_url(council, return_month))
    named = any(c.failing_rows for c in report.checks if c.outcome != "pass")
    return SelfCheck(council, return_month, report, text, failing_rows_csv(report) if named else None)
