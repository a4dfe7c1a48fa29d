"""One public dataset, end to end: the ingest lifecycle (ingest/lifecycle.py) run on the
public-statistics declaration (kind.py), so the guarantees of a council return hold:

- nothing is lost: the answer is landed (by sha256) and recorded in ops.submissions
  (source_kind 'public_source', subject = dataset id, period = the requested range or
  the release) before anything looks at it; every fetch attempt is in ops.fetch_attempts;
- idempotent: the same bytes again are the same ledger row, and a submission already
  decided (loaded, rejected, superseded) is not touched again;
- a newer answer for the same dataset and period supersedes the older one
  (status 'superseded'; its rows stay in raw, so the history stays queryable);
- every check's outcome is a row in ops.check_results; a failing dataset is rejected
  (nothing loaded, a link under quarantine/), a passing one is COPYed into
  raw.public_observations in one transaction tagged with the submission.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from councilbench.ingest import lifecycle
from councilbench.ingest.fetch import RetryPolicy
from councilbench.ingest.kind import Outcome
from councilbench.public import datasets as dsets
from councilbench.public.kind import PUBLIC, dataset_request
from councilbench.warehouse.connection import Warehouse, connect


@dataclass
class DatasetResult:
    dataset_id: str
    period: str
    outcome: str  # loaded | unchanged | rejected | error | not_received
    status: str | None = None  # ledger status of the submission (received, loaded, rejected, superseded)
    submission_id: int | None = None
    is_new: bool = False
    rows_loaded: int = 0
    validation: str | None = None  # pass | warn | fail
    checks: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, o: Outcome) -> DatasetResult:
        if o.fetch in ("not_received", "error"):
            return cls(o.subject, o.period, o.fetch, message=o.message)
        common = {
            "status": o.status,
            "submission_id": o.submission_id,
            "is_new": o.new_submission,
            "message": o.message,
        }
        if not o.recorded_now:  # the answer we already had (a 304, or the same bytes)
            return cls(o.subject, o.period, "unchanged", **common)
        return cls(
            o.subject,
            o.period,
            "rejected" if o.status == "rejected" else "loaded",
            rows_loaded=o.rows_loaded,
            validation=o.outcome,
            checks=o.checks,
            **common,
        )


def refresh_dataset(
    warehouse: Warehouse, dataset_id: str, ranges: dsets.Ranges | None = None, *, policy: RetryPolicy = RetryPolicy()
) -> DatasetResult:
    """Fetch one dataset for the ranges given (NOMIS) or its configured release (GOV.UK)."""
    dataset = dataset_request(dataset_id, ranges or dsets.default_ranges(date.today()))
    return DatasetResult.of(lifecycle.process(warehouse, PUBLIC, dataset, policy=policy))


def refresh_all(
    warehouse: Warehouse, ranges: dsets.Ranges, dataset_ids=None, *, policy: RetryPolicy = RetryPolicy()
) -> list[DatasetResult]:
    """Every configured dataset (or those named), each a batch of one."""
    return [refresh_dataset(warehouse, d, ranges, policy=policy) for d in (dataset_ids or dsets.DATASET_IDS)]


def landed_path(warehouse: Warehouse, submission_id: int) -> Path:
    with connect(warehouse, role="loader") as conn:
        return Path(
            conn.execute(
                "select landing_path from ops.submissions where submission_id = %s", [submission_id]
            ).fetchone()[0]
        )
