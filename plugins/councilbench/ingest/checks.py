"""What validating a landed file found, as data every source kind shares: one
CheckOutcome per check (written to ops.check_results by the ledger), and the verdict
they add up to: fail if any check failed, warn if any warned, else pass."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field


@dataclass
class CheckOutcome:
    check: str
    severity: str  # fail | warn: what a failing outcome of this check means
    outcome: str  # pass | warn | fail
    message: str  # one plain-English sentence
    #: The rows that fail it: a kind's own row type with an as_dict() (a council return's
    #: FailingRow) or plain dicts. When they are the first few of more, failing_row_total
    #: says how many failed in all.
    failing_rows: list = field(default_factory=list)
    failing_row_total: int | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    @property
    def failing_row_count(self) -> int:
        return len(self.failing_rows) if self.failing_row_total is None else self.failing_row_total

    def failing_rows_as_data(self) -> list[dict]:
        return [r.as_dict() if hasattr(r, "as_dict") else r for r in self.failing_rows]


def overall(checks: list[CheckOutcome]) -> str:
    """The verdict on a file: fail if any check failed, warn if any warned, else pass."""
    outcomes = {c.outcome for c in checks}
    return "fail" if "fail" in outcomes else "warn" if "warn" in outcomes else "pass"


def unreadable(message: str) -> CheckOutcome:
    """The one check of a file its parser could not read: nothing else can run."""
    return CheckOutcome("readable", "fail", "fail", message)


@dataclass
class Verdict:
    """What a kind's validator decides about one landed file: its checks, what it
    normalised (in plain words) and, when it is accepted, the rows to load (a DataFrame of
    the kind's raw table columns after submission_id). A kind may return a richer report
    with these three attributes instead (a council return's ValidationReport)."""

    checks: list[CheckOutcome]
    normalisations: list[str] = field(default_factory=list)
    rows: object = None

    @property
    def outcome(self) -> str:
        return overall(self.checks)


#: The columns of the failing-rows CSV a rejection email attaches (spend and pay files).
FAILING_ROWS_FIELDS = ("check", "row", "column", "found", "accepted")


def failing_rows_csv(checks) -> str:
    """Every failing row of every failed check (objects with name, outcome and
    failing_rows, as ledger.recorded_checks reads them): check, row, column, what was
    found, what is accepted."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FAILING_ROWS_FIELDS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for c in checks:
        if c.outcome == "fail":
            for r in c.failing_rows:
                writer.writerow({"check": c.name, **r})
    return out.getvalue()
