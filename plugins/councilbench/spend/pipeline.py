"""Council spend end to end: the ingest lifecycle (ingest/lifecycle.py) run on the spend
declaration (kind.py), the way returns/pipeline.py runs returns. Every step is
idempotent (a rerun changes nothing already done) and one council's file never touches
another's rows.

- `run_period`: one period for many councils in this process: each council's file
  pulled and landed on its own, every new file of the batch validated in ONE Great
  Expectations run, each recorded and loaded or quarantined in its own transaction. A
  month asks monthly publishers for that month and quarterly ones for their quarter when
  the month ends it; a quarter (YYYY-Qn) asks quarterly publishers for it and monthly
  ones for its three months.

No emails yet: rejection and receipt emails for spend are a later step (kind.py).
"""

from __future__ import annotations

import logging

from councilbench.core import catalogue
from councilbench.ingest import lifecycle
from councilbench.ingest.fetch import RetryPolicy
from councilbench.ingest.kind import Outcome, Target
from councilbench.spend.kind import SPEND, council_period, spend_periods
from councilbench.warehouse.connection import Warehouse

log = logging.getLogger(__name__)


class SpendRunError(RuntimeError):
    """Some council files failed (the platform's fault, not the councils'); every other
    file of the run was processed and recorded before this was raised."""


def targets(period: str, councils: list[str] | None = None, spend_base_url: str | None = None) -> list[Target]:
    """The councils' files due for `period` (a month or a quarter), oldest period first."""
    chosen = [catalogue.find_council(c) for c in councils] if councils else list(catalogue.councils().values())
    due = [(p, c.code) for c in chosen for p in spend_periods(period, c)]
    return [council_period(code, p, spend_base_url) for p, code in sorted(due)]


def summarise(outcomes: list[Outcome]) -> dict:
    """Totals for the run's log and XCom."""

    def count(pred) -> int:
        return sum(1 for o in outcomes if pred(o))

    for o in sorted(outcomes, key=lambda o: (o.label, o.period)):
        log.info("%-32s %-8s %-10s %-5s lines=%-6d %s", o.label, o.period, o.status or o.fetch, o.outcome or "",
                 o.rows_loaded, o.message[:120])  # fmt: skip
    return {
        "files": len(outcomes),
        "loaded": count(lambda o: o.status in ("loaded", "superseded") and o.outcome in ("pass", "warn")),
        "rejected": count(lambda o: o.status == "rejected"),
        "not_received": count(lambda o: o.fetch == "not_received" and o.submission_id is None),
        "fetch_errors": count(lambda o: o.fetch == "error"),
        "with_warnings": count(lambda o: o.outcome == "warn"),
        "new_submissions": count(lambda o: o.new_submission),
        "lines_loaded": sum(o.rows_loaded for o in outcomes if o.new_submission),
    }


def run_period(
    warehouse: Warehouse,
    period: str,
    councils: list[str] | None = None,
    *,
    spend_base_url: str | None = None,
    bulk: bool = False,
    policy: RetryPolicy = RetryPolicy(),
) -> tuple[dict, list[Outcome]]:
    """Pull, land, validate and load (or quarantine) the councils' spend files for the
    period: (summary, one outcome per file). Raises SpendRunError after all the others
    are done if the platform failed on any."""
    batch = lifecycle.run_batch(warehouse, SPEND, targets(period, councils, spend_base_url), policy=policy, bulk=bulk)
    summary = summarise(batch.outcomes)
    if batch.failures:
        raise SpendRunError(f"{len(batch.failures)} spend file(s) failed: " + "; ".join(map(str, batch.failures)))
    return summary, batch.outcomes
