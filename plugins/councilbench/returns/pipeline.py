"""Council returns end to end, the ways the DAG, the CLI, the demo and the bench call it:
the ingest lifecycle (ingest/lifecycle.py) run on the council-return declaration
(kind.py). Every step is idempotent, so a rerun or an Airflow retry changes nothing that
is already done, and nothing here touches another council's rows.

- `process_return`: one council's return for one month.
- `land_return` then `validate_landed`: the DAG's tasks (landing mapped over councils,
  then ONE validation of every new file of the month).
- `run_month` / `backfill`: many councils (and months) in this process: each
  council-month pulled and landed on its own, every new file of the batch validated in
  ONE Great Expectations run, each recorded and loaded or quarantined in its own
  transaction, oldest month first. One council's failure is logged and the others carry
  on; the run raises at the end, naming it.

Emails are a separate step (kind.send_emails) that reads the recorded results, so an SMTP
outage retries the emails only and can never lose a validation result.
"""

from __future__ import annotations

import logging
from datetime import date

from councilbench.core import catalogue
from councilbench.ingest import lifecycle
from councilbench.ingest.fetch import RetryPolicy
from councilbench.ingest.kind import Outcome, SourceKind, Target, tally
from councilbench.returns.kind import RETURNS, ReturnOutcome, council_month, returns_kind, send_emails
from councilbench.warehouse.connection import Warehouse

log = logging.getLogger(__name__)

__all__ = [
    "ReturnOutcome",
    "ReturnsRunError",
    "backfill",
    "land_return",
    "process_return",
    "run_month",
    "send_emails",
    "summarise",
    "validate_landed",
]


class ReturnsRunError(RuntimeError):
    """Some council-months failed (the platform's fault, not the councils'); every
    other council-month of the run was processed and recorded before this was raised."""


def _kind(today: date | None):
    return RETURNS if today is None else returns_kind(today)


def process_return(
    warehouse: Warehouse,
    council_code: str,
    return_month: str,
    *,
    returns_base_url: str | None = None,
    today: date | None = None,
    policy: RetryPolicy = RetryPolicy(),
) -> ReturnOutcome:
    """One council's return for one month, end to end (raises what the platform failed on)."""
    one = council_month(council_code, return_month, returns_base_url)
    return ReturnOutcome.of(lifecycle.process(warehouse, _kind(today), one, policy=policy))


def land_return(
    warehouse: Warehouse,
    council_code: str,
    return_month: str,
    *,
    returns_base_url: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
) -> ReturnOutcome:
    """Pull and land one council's return under its lock: the DAG's mapped task.

    A newly landed file is left for `validate_landed` (the outcome's `status` is None and
    its `submission_id` set); anything else (not received, unchanged, the same file as
    already processed) is final here.
    """
    one = council_month(council_code, return_month, returns_base_url)
    return ReturnOutcome.of(lifecycle.land_only(warehouse, RETURNS, one, policy=policy))


def validate_landed(warehouse: Warehouse, outcomes: list[dict], *, today: date | None = None) -> list[dict]:
    """Validate every return that `land_return` left waiting in ONE GX run, then record
    and load or quarantine each council's on its own: the DAG's one validation task.

    Idempotent: a submission that is no longer `received` (a rerun, or another run, got
    there first) is reported as recorded. One council's failure stops no other; the task
    then raises after the others are done, and Airflow's retry redoes only what is still
    waiting.
    """
    landed = [ReturnOutcome(**d).as_outcome() for d in outcomes]
    failures = lifecycle.validate_landed(warehouse, _kind(today), landed)
    if failures:
        raise ReturnsRunError(f"{len(failures)} council return(s) failed: " + "; ".join(map(str, failures)))
    return [ReturnOutcome.of(o).as_dict() for _, o in landed]


def summarise(outcomes: list[dict], emails: list[dict]) -> dict:
    """One line per council in the log, and totals for the run's XCom."""
    rows = [ReturnOutcome(**d) for d in outcomes]
    for o in sorted(rows, key=lambda r: r.council_name):
        state = o.status or o.fetch
        log.info(
            "%-32s %-10s %-5s rows=%-4d %s", o.council_name, state, o.outcome or "", o.rows_loaded, o.message[:120]
        )
    return {
        "return_month": rows[0].return_month if rows else None,
        "councils": len(rows),
        **tally(rows),
        "emails": len(emails),
    }


def _by_month(batch: lifecycle.Batch, months: list[str]) -> dict[str, list[Outcome]]:
    """The batch's outcomes per month, in council order."""
    by_month: dict[str, list[Outcome]] = {month: [] for month in months}
    for o in batch.outcomes:
        by_month[o.period].append(o)
    return by_month


def _summary(warehouse: Warehouse, kind: SourceKind, outcomes: list[Outcome], notify: bool):
    """Email the councils about the month's recorded returns (when asked), then sum it up."""
    emails = kind.notify(warehouse, outcomes) if notify else []
    return summarise([ReturnOutcome.of(o).as_dict() for o in outcomes], emails)


def _targets(months: list[str], codes: list[str], returns_base_url: str | None) -> list[Target]:
    return [council_month(code, month, returns_base_url) for month in months for code in codes]


def run_month(
    warehouse: Warehouse,
    return_month: str,
    *,
    councils: list[str] | None = None,
    returns_base_url: str | None = None,
    notify: bool = True,
    today: date | None = None,
    policy: RetryPolicy = RetryPolicy(),
) -> dict:
    """The whole month in this process: the steps the DAG maps over councils, with one
    GX validation for all the month's new files.

    For backfills and engineers' reruns without a scheduler; the DAG is the normal path.
    Raises ReturnsRunError after the others are done (and emailed) if any council failed.
    """
    kind, codes = _kind(today), councils or list(catalogue.councils())
    batch = lifecycle.run_batch(warehouse, kind, _targets([return_month], codes, returns_base_url), policy=policy)
    summary = _summary(warehouse, kind, _by_month(batch, [return_month])[return_month], notify)
    if batch.failures:
        raise ReturnsRunError(
            f"{len(batch.failures)} council return(s) of {return_month} failed: " + "; ".join(map(str, batch.failures))
        )
    return summary


def backfill(
    warehouse: Warehouse,
    months: list[str],
    *,
    councils: list[str] | None = None,
    returns_base_url: str | None = None,
    notify: bool = False,
    months_per_batch: int = 12,
    today: date | None = None,
    policy: RetryPolicy = RetryPolicy(),
    on_month=None,
) -> list[dict]:
    """Many reporting months, oldest first, `months_per_batch` months per GX validation.

    Same results as run_month for each month in turn: the month-on-month check of a
    month compares with the previous month's accepted figures even when both are in the
    same batch (they come from the batch itself, in month order: previous.PreviousFigures),
    and loads go oldest month first, so "loaded" and "superseded" come out the same. One
    summary per month (also passed to `on_month` as each batch finishes). Emails about
    historical months are off unless `notify`. Raises ReturnsRunError at the end if any
    council-month failed; all others are done.
    """
    if months_per_batch < 1:
        raise ValueError("months_per_batch must be at least 1")
    kind, codes = _kind(today), councils or list(catalogue.councils())
    months = sorted(set(months))
    summaries, errors = [], []
    for i in range(0, len(months), months_per_batch):
        chunk = months[i : i + months_per_batch]
        batch = lifecycle.run_batch(warehouse, kind, _targets(chunk, codes, returns_base_url), policy=policy, bulk=True)
        errors += batch.failures
        for month, outcomes in _by_month(batch, chunk).items():
            summary = _summary(warehouse, kind, outcomes, notify)
            summary["return_month"] = month
            summaries.append(summary)
            log.info("backfill %s: %s", month, summary)
            if on_month:
                on_month(summary)
    if errors:
        raise ReturnsRunError(f"{len(errors)} council return(s) failed in the backfill: " + "; ".join(map(str, errors)))
    return summaries
