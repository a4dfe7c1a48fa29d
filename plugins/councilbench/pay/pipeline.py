"""Council pay deposits end to end: the ingest lifecycle (ingest/lifecycle.py) run on the
pay declaration (kind.py), the way spend/pipeline.py runs spend. Every step is
idempotent (a rerun changes nothing already done; a corrected deposit is a new file that
supersedes the earlier one) and one council's deposit never touches another's posts.

- `run_year`: one pay year for many councils in this process: each council's deposit
  pulled and landed on its own, every new file of the batch validated in ONE Great
  Expectations run, each recorded and loaded or quarantined in its own transaction.
- `plan`, `land_file`, `validate_landed`, `send_emails`, `summarise`: the council_pay
  DAG's tasks (landing mapped over the councils, then ONE validation of every new file,
  then the emails, a step of their own so an SMTP outage never loses a result).
"""

from __future__ import annotations

import logging

from councilbench.core import catalogue
from councilbench.ingest import lifecycle
from councilbench.ingest.fetch import RetryPolicy
from councilbench.ingest.kind import Outcome, Target, tally
from councilbench.pay.kind import PAY, council_year
from councilbench.pay.notify import send_emails as email_councils
from councilbench.warehouse.connection import Warehouse

log = logging.getLogger(__name__)


class PayRunError(RuntimeError):
    """Some deposits failed (the platform's fault, not the councils'); every other
    deposit of the run was processed and recorded before this was raised."""


def targets(pay_year: str, councils: list[str] | None = None, pay_base_url: str | None = None) -> list[Target]:
    """The councils' deposits for the pay year (all 33 unless `councils` names some)."""
    chosen = [catalogue.find_council(c) for c in councils] if councils else list(catalogue.councils().values())
    return [council_year(c.code, pay_year, pay_base_url) for c in chosen]


def summarise(outcomes: list[Outcome]) -> dict:
    """Totals for the run's log and XCom."""
    for o in sorted(outcomes, key=lambda o: o.label):
        log.info("%-32s %-8s %-10s %-5s posts=%-6d %s", o.label, o.period, o.status or o.fetch, o.outcome or "",
                 o.rows_loaded, o.message[:120])  # fmt: skip
    totals = tally(outcomes)
    posts_loaded = totals.pop("rows_loaded")  # a deposit's rows are posts
    return {"files": len(outcomes), **totals, "posts_loaded": posts_loaded}


def plan(pay_year: str, councils: list[str] | None = None) -> list[dict]:
    """The deposits to look for, as one land_file call each (the DAG's mapped task)."""
    return [{"council_code": t.subject, "pay_year": t.period} for t in targets(pay_year, councils)]


def land_file(
    warehouse: Warehouse,
    council_code: str,
    pay_year: str,
    *,
    pay_base_url: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
) -> dict:
    """Pull and land one council's deposit under its lock. A newly landed file is left for
    `validate_landed` (status None, submission_id set); anything else is final here."""
    target = council_year(council_code, pay_year, pay_base_url)
    return lifecycle.land_only(warehouse, PAY, target, policy=policy).as_dict()


def validate_landed(warehouse: Warehouse, landed: list[dict]) -> list[dict]:
    """Validate every deposit `land_file` left waiting in ONE GX run, then record and load
    or quarantine each on its own. Idempotent; raises after the others are done if the
    platform failed on any (Airflow's retry redoes only what is still waiting)."""
    pairs = [(council_year(d["subject"], d["period"]), Outcome(**d)) for d in landed]
    failures = lifecycle.validate_landed(warehouse, PAY, pairs)
    if failures:
        raise PayRunError(f"{len(failures)} pay deposit(s) failed: " + "; ".join(map(str, failures)))
    return [o.as_dict() for _, o in pairs]


def send_emails(warehouse: Warehouse, outcomes: list[dict]) -> list[dict]:
    """Each deposit recorded this run gets its rejection or receipt, once (notify.py)."""
    return email_councils(warehouse, [Outcome(**d) for d in outcomes])


def run_year(
    warehouse: Warehouse,
    pay_year: str,
    councils: list[str] | None = None,
    *,
    pay_base_url: str | None = None,
    notify: bool = False,
    policy: RetryPolicy = RetryPolicy(),
) -> tuple[dict, list[Outcome]]:
    """Pull, land, validate and load (or quarantine) the councils' pay deposits for the
    pay year: (summary, one outcome per council), then (with `notify`) email each council
    about its deposit. Raises PayRunError after all the others are done if the platform
    failed on any."""
    batch = lifecycle.run_batch(warehouse, PAY, targets(pay_year, councils, pay_base_url), policy=policy)
    summary = summarise(batch.outcomes)
    if notify:
        summary["emails"] = len(PAY.notify(warehouse, batch.outcomes))
    if batch.failures:
        raise PayRunError(f"{len(batch.failures)} pay deposit(s) failed: " + "; ".join(map(str, batch.failures)))
    return summary, batch.outcomes
