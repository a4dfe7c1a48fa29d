"""One council's return for one month, end to end: pull, land, validate, record, then
quarantine or load. Every step is idempotent, so a rerun or an Airflow retry changes
nothing that is already done, and nothing here touches another council's rows.

Emails are a separate step (notify.py) that reads the recorded results, so an SMTP
outage retries the emails only and can never lose a validation result.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from councilbench import catalogue, landing
from councilbench.fetch import RetryPolicy, fetch
from councilbench.returns import load, results
from councilbench.warehouse import Warehouse, connect

log = logging.getLogger(__name__)

SOURCE_KIND = "council_return"


@dataclass
class ReturnOutcome:
    """What happened to one council's return this run (an Airflow XCom, so plain data)."""

    council_code: str
    council_name: str
    return_month: str
    fetch: str                      # received | unchanged | not_received | error
    submission_id: int | None = None
    status: str | None = None       # received | rejected | loaded | superseded
    outcome: str | None = None      # pass | warn | fail
    rows_loaded: int = 0
    new_submission: bool = False
    message: str = ""
    quarantined: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def email_kind(self) -> str | None:
        if self.status == "rejected":
            return "rejection"
        if self.outcome == "warn" and self.status in ("loaded", "superseded"):
            return "warning"
        return None


def _lock_key(council_code: str, return_month: str) -> str:
    return f"council_return:{council_code}:{return_month}"


def latest_submission(conn, council_code: str, return_month: str):
    return conn.execute(
        """select submission_id, status, outcome, rows_loaded, landing_path, sha256, size_bytes from ops.submissions
           where source_kind = %s and subject = %s and period = %s
           order by submission_id desc limit 1""",
        [SOURCE_KIND, council_code, return_month],
    ).fetchone()


def process_return(warehouse: Warehouse, council_code: str, return_month: str, *,
                   returns_base_url: str | None = None, today: date | None = None,
                   policy: RetryPolicy = RetryPolicy()) -> ReturnOutcome:
    council = catalogue.councils()[council_code]
    uri = council.return_uri(return_month, returns_base_url)
    result = ReturnOutcome(council_code, council.name, return_month, fetch="not_received")
    with connect(warehouse, role="loader") as conn:
        # Two runs of the same month at once wait for each other here, per council.
        conn.execute("select pg_advisory_lock(hashtext(%s))", [_lock_key(council_code, return_month)])
        conn.commit()
        try:
            return _process_locked(conn, council, uri, return_month, result, today, policy)
        finally:
            conn.rollback()
            conn.execute("select pg_advisory_unlock(hashtext(%s))", [_lock_key(council_code, return_month)])
            conn.commit()


def _process_locked(conn, council, uri, return_month, result, today, policy) -> ReturnOutcome:
    etag, last_modified = landing.last_validators(
        conn, source_kind=SOURCE_KIND, subject=council.code, period=return_month, source_uri=uri)
    fetched = fetch(uri, etag=etag, last_modified=last_modified, policy=policy) if uri.startswith("http") else fetch(uri)
    result.fetch = fetched.outcome
    result.message = fetched.message
    if fetched.outcome != "received":
        landing.record_fetch(conn, source_kind=SOURCE_KIND, subject=council.code, period=return_month,
                             source_uri=uri, outcome=fetched.outcome, http_status=fetched.http_status,
                             etag=fetched.etag, last_modified=fetched.last_modified, message=fetched.message)
        latest = latest_submission(conn, council.code, return_month)
        if latest and fetched.outcome == "unchanged" and latest[1] == "received":
            # Landed by an earlier run that stopped before validating: finish the job.
            landed = landing.Landed(latest[0], latest[5], latest[6], Path(latest[4]), False, latest[1])
            result.submission_id = latest[0]
            return validate_and_load(conn, landed, council, return_month, result, today)
        if latest:  # unchanged since an earlier run: report that submission's state
            result.submission_id, result.status, result.outcome, result.rows_loaded = latest[0], latest[1], latest[2], latest[3] or 0
        log.info("%s %s: %s %s", council.name, return_month, fetched.outcome, fetched.message)
        return result

    try:
        with open(fetched.path, "rb") as f:
            landed = landing.land(conn, chunks=landing.iter_file(f), source_kind=SOURCE_KIND, subject=council.code,
                                  period=return_month, source_uri=uri, media_type=fetched.media_type,
                                  original_name=Path(uri).name)
    finally:
        fetched.discard()
    landing.record_fetch(conn, source_kind=SOURCE_KIND, subject=council.code, period=return_month,
                         source_uri=uri, outcome="received", http_status=fetched.http_status,
                         etag=fetched.etag, last_modified=fetched.last_modified, submission_id=landed.submission_id)
    result.submission_id, result.new_submission = landed.submission_id, landed.is_new

    if landed.status != "received":  # the same bytes were already validated: nothing to redo
        row = conn.execute("select status, outcome, rows_loaded from ops.submissions where submission_id = %s",
                           [landed.submission_id]).fetchone()
        result.status, result.outcome, result.rows_loaded = row[0], row[1], row[2] or 0
        result.message = "same file as already processed: nothing changed"
        return result

    return validate_and_load(conn, landed, council, return_month, result, today)


def validate_and_load(conn, landed: landing.Landed, council, return_month, result: ReturnOutcome, today) -> ReturnOutcome:
    from councilbench.returns.parse import parse_return
    from councilbench.returns.validate import validate_return

    conn.execute("select 1 from ops.submissions where submission_id = %s for update", [landed.submission_id])
    parsed = parse_return(Path(landed.path), media_type=None, original_name=None)
    report = validate_return(parsed, council_code=council.code, return_month=return_month, today=today,
                             previous_values=load.previous_values(conn, council.code, return_month))
    results.record_checks(conn, landed.submission_id, report)
    result.outcome = report.outcome
    if report.outcome == "fail":
        conn.execute("update ops.submissions set status = 'rejected', status_changed_at = now() where submission_id = %s",
                     [landed.submission_id])
        conn.commit()
        result.status = "rejected"
        result.quarantined = str(landing.quarantine(landed.path, subject=council.short_name, period=return_month,
                                                    suffix=".rejected"))
        result.message = "; ".join(c.message for c in report.failures())
        log.warning("%s %s rejected: %s", council.name, return_month, result.message)
        return result
    conn.commit()  # the validation results stand even if the load below fails
    result.rows_loaded = load.load_return_rows(conn, landed.submission_id, report.rows)
    result.status = conn.execute("select status from ops.submissions where submission_id = %s",
                                 [landed.submission_id]).fetchone()[0]
    log.info("%s %s: %s, %d rows loaded", council.name, return_month, report.outcome, result.rows_loaded)
    return result


def send_emails(warehouse: Warehouse, outcomes: list[dict]) -> list[dict]:
    """Email each council whose return was rejected or accepted with warnings.

    Reads the recorded results (never validates again). Every council is attempted
    before any failure is raised, so one bad address or an SMTP outage does not hold
    up the others; Airflow's retry then sends only what was not sent (notify.py keeps
    a ledger of sends, so nothing goes twice).
    """
    from councilbench.returns.notify import notify_submission

    sent, errors = [], []
    for o in map(lambda d: ReturnOutcome(**d), outcomes):
        if not (o.email_kind and o.submission_id):
            continue
        try:
            with connect(warehouse, role="loader") as conn:
                report = results.load_report(conn, o.submission_id)
            status = notify_submission(warehouse, o.submission_id, report)
            sent.append({"council_code": o.council_code, "submission_id": o.submission_id,
                         "kind": o.email_kind, "result": str(status)})
        except Exception as exc:  # keep going: the other councils' emails must not wait
            log.error("email to %s about submission %s failed: %s", o.council_name, o.submission_id, exc)
            errors.append(f"{o.council_name}: {exc}")
    if errors:
        raise RuntimeError(f"{len(errors)} email(s) not sent (retried by Airflow): " + "; ".join(errors))
    return sent


def summarise(outcomes: list[dict], emails: list[dict]) -> dict:
    """One line per council in the log, and totals for the run's XCom."""
    rows = [ReturnOutcome(**d) for d in outcomes]
    for o in sorted(rows, key=lambda r: r.council_name):
        state = o.status or o.fetch
        log.info("%-32s %-10s %-5s rows=%-4d %s", o.council_name, state, o.outcome or "", o.rows_loaded, o.message[:120])
    def count(pred):
        return sum(1 for r in rows if pred(r))
    return {
        "return_month": rows[0].return_month if rows else None,
        "councils": len(rows),
        "loaded": count(lambda r: r.status in ("loaded", "superseded") and r.outcome in ("pass", "warn")),
        "rejected": count(lambda r: r.status == "rejected"),
        "not_received": count(lambda r: r.fetch == "not_received" and r.submission_id is None),
        "fetch_errors": count(lambda r: r.fetch == "error"),
        "with_warnings": count(lambda r: r.outcome == "warn"),
        "new_submissions": count(lambda r: r.new_submission),
        "rows_loaded": sum(r.rows_loaded for r in rows if r.new_submission),
        "emails": len(emails),
    }


def run_month(warehouse: Warehouse, return_month: str, *, councils: list[str] | None = None,
              returns_base_url: str | None = None, notify: bool = True) -> dict:
    """The whole month in this process, the same steps the DAG maps over councils.

    For backfills and engineers' reruns without a scheduler; the DAG is the normal path.
    """
    codes = councils or list(catalogue.councils())
    outcomes = [process_return(warehouse, code, return_month, returns_base_url=returns_base_url).as_dict()
                for code in codes]
    emails = send_emails(warehouse, outcomes) if notify else []
    return summarise(outcomes, emails)


def months_between(first: str, last: str) -> list[str]:
    """Inclusive list of YYYY-MM months."""
    y, m = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
