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
- `plan`, `land_file`, `validate_landed`, `send_emails`: the council_spend DAG's tasks
  (landing mapped over the due files, then ONE validation of every new file, then the
  emails, a step of their own so an SMTP outage never loses a result).
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from councilbench.core import catalogue
from councilbench.ingest import lifecycle
from councilbench.ingest.fetch import RetryPolicy
from councilbench.ingest.kind import Outcome, Target, tally
from councilbench.spend import resolve
from councilbench.spend.kind import SPEND, council_period, spend_periods
from councilbench.spend.notify import send_emails as email_councils
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
    for o in sorted(outcomes, key=lambda o: (o.label, o.period)):
        log.info("%-32s %-8s %-10s %-5s lines=%-6d %s", o.label, o.period, o.status or o.fetch, o.outcome or "",
                 o.rows_loaded, o.message[:120])  # fmt: skip
    totals = tally(outcomes)
    lines_loaded = totals.pop("rows_loaded")  # a spend file's rows are payment lines
    return {"files": len(outcomes), **totals, "lines_loaded": lines_loaded}


def plan(period: str, councils: list[str] | None = None) -> list[dict]:
    """The files due for `period`, as one land_file call each (the DAG's mapped task)."""
    return [{"council_code": t.subject, "period": t.period} for t in targets(period, councils)]


def land_file(
    warehouse: Warehouse,
    council_code: str,
    period: str,
    *,
    spend_base_url: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
) -> dict:
    """Pull and land one council's file under its lock. A newly landed file is left for
    `validate_landed` (status None, submission_id set); anything else is final here."""
    return lifecycle.land_only(
        warehouse, SPEND, council_period(council_code, period, spend_base_url), policy=policy
    ).as_dict()


def validate_landed(warehouse: Warehouse, landed: list[dict]) -> list[dict]:
    """Validate every file `land_file` left waiting in ONE GX run, then record and load or
    quarantine each on its own. Idempotent; raises after the others are done if the
    platform failed on any (Airflow's retry redoes only what is still waiting)."""
    pairs = [(council_period(d["subject"], d["period"]), Outcome(**d)) for d in landed]
    failures = lifecycle.validate_landed(warehouse, SPEND, pairs)
    if failures:
        raise SpendRunError(f"{len(failures)} spend file(s) failed: " + "; ".join(map(str, failures)))
    return [o.as_dict() for _, o in pairs]


def send_emails(warehouse: Warehouse, outcomes: list[dict]) -> list[dict]:
    """Each file recorded this run gets its rejection or receipt, once (notify.py)."""
    return email_councils(warehouse, [Outcome(**d) for d in outcomes])


def run_period(
    warehouse: Warehouse,
    period: str,
    councils: list[str] | None = None,
    *,
    spend_base_url: str | None = None,
    bulk: bool = False,
    notify: bool = False,
    policy: RetryPolicy = RetryPolicy(),
) -> tuple[dict, list[Outcome]]:
    """Pull, land, validate and load (or quarantine) the councils' spend files for the
    period: (summary, one outcome per file), then (with `notify`) email each council about
    its file. When a file was loaded, suppliers are resolved and expenses categorised over
    every loaded line (spend.resolve), as the DAG does before it announces: the marts join
    on what that writes. Raises SpendRunError after all the others are done if the platform
    failed on any."""
    batch = lifecycle.run_batch(warehouse, SPEND, targets(period, councils, spend_base_url), policy=policy, bulk=bulk)
    summary = summarise(batch.outcomes)
    if any(o.status == "loaded" and o.recorded_now for o in batch.outcomes):
        summary["resolved"] = asdict(resolve.run(warehouse))
    if notify:
        summary["emails"] = len(SPEND.notify(warehouse, batch.outcomes))
    if batch.failures:
        raise SpendRunError(f"{len(batch.failures)} spend file(s) failed: " + "; ".join(map(str, batch.failures)))
    return summary, batch.outcomes
