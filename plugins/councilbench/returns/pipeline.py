"""Council returns end to end: pull, land, validate, record, then quarantine or load.
Every step is idempotent, so a rerun or an Airflow retry changes nothing that is
already done, and nothing here touches another council's rows.

Two ways through, with the same steps and the same results:
- `process_return`: one council's return for one month (the DAG maps it over councils).
- `run_month` / `backfill`: many councils (and months) in this process. Each council-month
  is pulled and landed on its own; then every new file of the batch is validated in ONE
  Great Expectations run (`validate.validate_returns`: GX's cost is almost all fixed per
  run), then each council-month's results are recorded and its rows loaded or quarantined
  in its own transaction, oldest month first. One council's failure is logged and the
  others carry on; the run raises at the end, naming it.

Emails are a separate step (notify.py) that reads the recorded results, so an SMTP
outage retries the emails only and can never lose a validation result.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from councilbench.core import catalogue
from councilbench.ingest import landing
from councilbench.ingest.fetch import RetryPolicy, fetch
from councilbench.returns import load, results
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

SOURCE_KIND = "council_return"


@dataclass
class ReturnOutcome:
    """What happened to one council's return this run (an Airflow XCom, so plain data)."""

    council_code: str
    council_name: str
    return_month: str
    fetch: str  # received | unchanged | not_received | error
    submission_id: int | None = None
    status: str | None = None  # received | rejected | loaded | superseded
    outcome: str | None = None  # pass | warn | fail
    rows_loaded: int = 0
    new_submission: bool = False
    recorded_now: bool = False  # validated and recorded (rejected or loaded) by this run
    message: str = ""
    quarantined: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def email_kind(self) -> str | None:
        if self.status == "rejected":
            return "rejection"
        if self.outcome in ("pass", "warn") and self.status in ("loaded", "superseded"):
            return "receipt"
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


def _lock(conn, keys: list[str]) -> None:
    """Session advisory locks on council-months, taken in one sorted order so that two
    runs (a backfill and the DAG, say) wait for each other and never deadlock."""
    conn.execute(
        "select pg_advisory_lock(hashtext(k)) from (select k from unnest(%s::text[]) as k order by k) s",
        [sorted(set(keys))],
    )
    conn.commit()


def _unlock(conn, keys: list[str]) -> None:
    conn.rollback()
    conn.execute("select pg_advisory_unlock(hashtext(k)) from unnest(%s::text[]) as k", [sorted(set(keys))])
    conn.commit()


def process_return(
    warehouse: Warehouse,
    council_code: str,
    return_month: str,
    *,
    returns_base_url: str | None = None,
    today: date | None = None,
    policy: RetryPolicy = RetryPolicy(),
) -> ReturnOutcome:
    council = catalogue.councils()[council_code]
    uri = council.return_uri(return_month, returns_base_url)
    result = ReturnOutcome(council_code, council.name, return_month, fetch="not_received")
    keys = [_lock_key(council_code, return_month)]
    with connect(warehouse, role="loader") as conn:
        # Two runs of the same month at once wait for each other here, per council.
        _lock(conn, keys)
        try:
            landed = fetch_and_land(conn, council, uri, return_month, result, policy)
            if landed is None:
                return result
            return validate_and_load(conn, landed, council, return_month, result, today)
        finally:
            _unlock(conn, keys)


def fetch_and_land(
    conn, council, uri: str, return_month: str, result: ReturnOutcome, policy: RetryPolicy = RetryPolicy(), session=None
) -> landing.Landed | None:
    """Fetch the council's return and land it (committed). The landed submission when it
    still needs validating; None when there is nothing to validate (`result` says why).
    `session`: an HTTP session to reuse (a batch keeps its connections open)."""
    etag, last_modified = landing.last_validators(
        conn, source_kind=SOURCE_KIND, subject=council.code, period=return_month, source_uri=uri
    )
    fetched = (
        fetch(uri, etag=etag, last_modified=last_modified, policy=policy, session=session)
        if uri.startswith("http")
        else fetch(uri)
    )
    result.fetch = fetched.outcome
    result.message = fetched.message
    if fetched.outcome != "received":
        landing.record_fetch(
            conn,
            source_kind=SOURCE_KIND,
            subject=council.code,
            period=return_month,
            source_uri=uri,
            outcome=fetched.outcome,
            http_status=fetched.http_status,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            message=fetched.message,
        )
        latest = latest_submission(conn, council.code, return_month)
        if latest and fetched.outcome == "unchanged" and latest[1] == "received":
            # Landed by an earlier run that stopped before validating: finish the job.
            result.submission_id = latest[0]
            return landing.Landed(latest[0], latest[5], latest[6], Path(latest[4]), False, latest[1])
        if latest:  # unchanged since an earlier run: report that submission's state
            result.submission_id, result.status, result.outcome, result.rows_loaded = (
                latest[0],
                latest[1],
                latest[2],
                latest[3] or 0,
            )
        log.info("%s %s: %s %s", council.name, return_month, fetched.outcome, fetched.message)
        return None

    try:
        with open(fetched.path, "rb") as f:
            landed = landing.land(
                conn,
                chunks=landing.iter_file(f),
                source_kind=SOURCE_KIND,
                subject=council.code,
                period=return_month,
                source_uri=uri,
                media_type=fetched.media_type,
                original_name=Path(uri).name,
            )
    finally:
        fetched.discard()
    landing.record_fetch(
        conn,
        source_kind=SOURCE_KIND,
        subject=council.code,
        period=return_month,
        source_uri=uri,
        outcome="received",
        http_status=fetched.http_status,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        submission_id=landed.submission_id,
    )
    result.submission_id, result.new_submission = landed.submission_id, landed.is_new

    if landed.status != "received":  # the same bytes were already validated: nothing to redo
        row = conn.execute(
            "select status, outcome, rows_loaded from ops.submissions where submission_id = %s", [landed.submission_id]
        ).fetchone()
        conn.commit()
        result.status, result.outcome, result.rows_loaded = row[0], row[1], row[2] or 0
        result.message = "same file as already processed: nothing changed"
        return None
    return landed


def validate_and_load(
    conn, landed: landing.Landed, council, return_month, result: ReturnOutcome, today
) -> ReturnOutcome:
    """Validate one landed return on its own, then record_and_load it."""
    from councilbench.returns.parse import parse_return
    from councilbench.returns.validate import validate_return

    conn.execute("select 1 from ops.submissions where submission_id = %s for update", [landed.submission_id])
    parsed = parse_return(Path(landed.path), media_type=None, original_name=None)
    report = validate_return(
        parsed,
        council_code=council.code,
        return_month=return_month,
        today=today,
        previous_values=load.previous_values(conn, council.code, return_month),
    )
    return record_and_load(conn, landed, council, return_month, result, report)


def record_and_load(
    conn, landed: landing.Landed, council, return_month, result: ReturnOutcome, report
) -> ReturnOutcome:
    """Record the validation results, then quarantine a rejected file or load an accepted one."""
    conn.execute("select 1 from ops.submissions where submission_id = %s for update", [landed.submission_id])
    results.record_checks(conn, landed.submission_id, report)
    result.outcome, result.recorded_now = report.outcome, True
    if report.outcome == "fail":
        conn.execute(
            "update ops.submissions set status = 'rejected', status_changed_at = now() where submission_id = %s",
            [landed.submission_id],
        )
        conn.commit()
        result.status = "rejected"
        result.quarantined = str(
            landing.quarantine(landed.path, subject=council.short_name, period=return_month, suffix=".rejected")
        )
        result.message = "; ".join(c.message for c in report.failures())
        log.warning("%s %s rejected: %s", council.name, return_month, result.message)
        return result
    conn.commit()  # the validation results stand even if the load below fails
    result.rows_loaded = load.load_return_rows(conn, landed.submission_id, report.rows)
    result.status = conn.execute(
        "select status from ops.submissions where submission_id = %s", [landed.submission_id]
    ).fetchone()[0]
    conn.commit()
    log.info("%s %s: %s, %d rows loaded", council.name, return_month, report.outcome, result.rows_loaded)
    return result


def send_emails(warehouse: Warehouse, outcomes: list[dict]) -> list[dict]:
    """Email each council whose return was rejected (what to fix) or accepted (a receipt
    of what was loaded, with any warnings).

    Reads the recorded results (never validates again). Every council is attempted
    before any failure is raised, so one bad address or an SMTP outage does not hold
    up the others; Airflow's retry then sends only what was not sent (notify.py keeps
    a ledger of sends, so nothing goes twice).

    A receipt is for a file this run accepted. A run that finds a file accepted earlier
    sends its receipt only when an earlier attempt failed (an SMTP outage, then a rerun):
    a file loaded by a backfill without emails, or before receipts existed, gets none
    months later, and one whose receipt went is not even looked at again.
    """
    from councilbench.returns.notify import notify_submission, still_owed

    sent, errors = [], []
    for o in map(lambda d: ReturnOutcome(**d), outcomes):
        if not (o.email_kind and o.submission_id):
            continue
        try:
            with connect(warehouse, role="loader") as conn:
                if o.email_kind == "receipt" and not (o.recorded_now or still_owed(conn, o.submission_id, "receipt")):
                    continue
                report = results.load_report(conn, o.submission_id)
            status = notify_submission(warehouse, o.submission_id, report)
            sent.append(
                {
                    "council_code": o.council_code,
                    "submission_id": o.submission_id,
                    "kind": o.email_kind,
                    "result": str(status),
                }
            )
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
        log.info(
            "%-32s %-10s %-5s rows=%-4d %s", o.council_name, state, o.outcome or "", o.rows_loaded, o.message[:120]
        )

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


@dataclass
class _Waiting:
    """A council-month whose newly landed file waits for the batch validation."""

    council: object
    return_month: str
    result: ReturnOutcome
    landed: landing.Landed


class ReturnsRunError(RuntimeError):
    """Some council-months failed (the platform's fault, not the councils'); every
    other council-month of the run was processed and recorded before this was raised."""


def _failure(council, return_month: str, what: str, exc: Exception) -> str:
    log.error("%s %s: %s failed: %s", council.name, return_month, what, exc, exc_info=exc)
    return f"{council.name} {return_month}: {what} failed: {type(exc).__name__}: {exc}"


def _validate_and_load_batch(conn, waiting: list[_Waiting], today: date | None) -> dict[int, str]:
    """Validate every waiting file in ONE GX run, then record and load (or quarantine)
    each council-month in its own transactions, oldest month first. The caller holds the
    council-months' locks. Returns id(waiting item) -> failure, for those that failed.

    Month on month compares with the warehouse as it was before the batch plus the
    batch's own earlier accepted months (validate.PreviousFigures): what loading month
    by month would have given.
    """
    from councilbench.returns.parse import parse_return
    from councilbench.returns.validate import validate_returns

    failures: dict[int, str] = {}
    if not waiting:
        return failures
    waiting = sorted(waiting, key=lambda w: w.return_month)  # stable: council order within a month
    councils, first, last = sorted({w.council.code for w in waiting}), waiting[0].return_month, waiting[-1].return_month
    items, readable = [], []
    for w in waiting:
        try:
            items.append(
                (parse_return(Path(w.landed.path), media_type=None, original_name=None), w.council.code, w.return_month)
            )
            readable.append(w)
        except Exception as exc:  # noqa: BLE001 - e.g. the landed file cannot be opened
            failures[id(w)] = _failure(w.council, w.return_month, "reading the landed file", exc)
    reports: dict[int, object] = {}
    try:
        previous = load.previous_figures(conn, councils, first, last)
        conn.commit()
        reports = dict(zip(map(id, readable), validate_returns(items, today=today, previous_values=previous)))
    except Exception:
        # A rule that cannot run on some return's rows (the platform's fault): validate one
        # by one, so only the return it breaks on fails and every other one goes on.
        conn.rollback()
        log.exception("batch validation of %d returns failed; validating them one by one", len(items))
        previous = load.previous_figures(conn, councils, first, last)
        conn.commit()
        for w, item in zip(readable, items):
            try:
                reports[id(w)] = validate_returns([item], today=today, previous_values=previous)[0]
            except Exception as exc:  # noqa: BLE001
                failures[id(w)] = _failure(w.council, w.return_month, "validation", exc)
    for w in readable:
        if id(w) not in reports:
            continue
        try:
            record_and_load(conn, w.landed, w.council, w.return_month, w.result, reports[id(w)])
        except Exception as exc:  # noqa: BLE001
            conn.rollback()
            failures[id(w)] = _failure(w.council, w.return_month, "recording and loading", exc)
    return failures


def _run_batch(
    warehouse: Warehouse,
    months: list[str],
    codes: list[str],
    *,
    returns_base_url: str | None,
    today: date | None,
    policy: RetryPolicy,
    bulk: bool = False,
) -> tuple[dict[str, list[ReturnOutcome]], list[str]]:
    """Pull and land each council-month on its own, then _validate_and_load_batch them all.

    Returns month -> outcomes (council order; council-months that failed are left out)
    and the failures, in words. `bulk` (a backfill): commits do not wait for the WAL to
    reach the disk. A crash can then forget the last fraction of a second of commits,
    never corrupt anything; the landed files are on disk and a rerun redoes those months
    exactly (every step is idempotent).
    """
    import requests  # one session per batch: the council servers' connections are kept open

    councils = catalogue.councils()
    months = sorted(months)
    keys = [_lock_key(code, month) for month in months for code in codes]
    outcomes: dict[tuple[str, str], ReturnOutcome] = {}
    errors: list[str] = []
    with connect(warehouse, role="loader") as conn, requests.Session() as session:
        if bulk:
            conn.execute("set synchronous_commit to off")
        _lock(conn, keys)  # every council-month of the batch, held to the end: a rerun waits
        try:
            waiting: list[_Waiting] = []
            for month in months:
                for code in codes:
                    council = councils[code]
                    result = ReturnOutcome(code, council.name, month, fetch="not_received")
                    try:
                        landed = fetch_and_land(
                            conn, council, council.return_uri(month, returns_base_url), month, result, policy, session
                        )
                    except Exception as exc:  # noqa: BLE001 - isolate the council, report at the end
                        conn.rollback()
                        errors.append(_failure(council, month, "pull and landing", exc))
                        continue
                    outcomes[(code, month)] = result
                    if landed is not None:
                        waiting.append(_Waiting(council, month, result, landed))
            failures = _validate_and_load_batch(conn, waiting, today)
        finally:
            _unlock(conn, keys)
    for w in waiting:
        if id(w) in failures:
            errors.append(failures[id(w)])
            outcomes.pop((w.council.code, w.return_month), None)
    by_month = {month: [outcomes[(code, month)] for code in codes if (code, month) in outcomes] for month in months}
    return by_month, errors


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
    council = catalogue.councils()[council_code]
    result = ReturnOutcome(council_code, council.name, return_month, fetch="not_received")
    keys = [_lock_key(council_code, return_month)]
    with connect(warehouse, role="loader") as conn:
        _lock(conn, keys)
        try:
            fetch_and_land(
                conn, council, council.return_uri(return_month, returns_base_url), return_month, result, policy
            )
        finally:
            _unlock(conn, keys)
    return result


def validate_landed(warehouse: Warehouse, outcomes: list[dict], *, today: date | None = None) -> list[dict]:
    """Validate every return that `land_return` left waiting in ONE GX run, then record
    and load or quarantine each council's on its own: the DAG's one validation task.

    Idempotent: under the council-months' locks, a submission that is no longer
    `received` (a rerun, or another run, got there first) is reported as recorded. One
    council's failure stops no other; the task then raises after the others are done,
    and Airflow's retry redoes only what is still waiting.
    """
    councils = catalogue.councils()
    results = [ReturnOutcome(**d) for d in outcomes]
    todo = [r for r in results if r.submission_id is not None and r.status is None]
    keys = [_lock_key(r.council_code, r.return_month) for r in todo]
    failures: list[str] = []
    if todo:
        with connect(warehouse, role="loader") as conn:
            _lock(conn, keys)
            try:
                waiting = []
                for r in todo:
                    status, outcome, rows_loaded, path, sha, size = conn.execute(
                        """select status, outcome, rows_loaded, landing_path, sha256, size_bytes
                           from ops.submissions where submission_id = %s""",
                        [r.submission_id],
                    ).fetchone()
                    if status != "received":
                        # Recorded by an earlier try of this run (or a concurrent run): it
                        # still counts as this run's new file for the warehouse build.
                        r.status, r.outcome, r.rows_loaded, r.recorded_now = status, outcome, rows_loaded or 0, True
                        continue
                    waiting.append(
                        _Waiting(
                            councils[r.council_code],
                            r.return_month,
                            r,
                            landing.Landed(r.submission_id, sha, size, Path(path), False, status),
                        )
                    )
                conn.commit()
                failures = list(_validate_and_load_batch(conn, waiting, today).values())
            finally:
                _unlock(conn, keys)
    if failures:
        raise ReturnsRunError(f"{len(failures)} council return(s) failed: " + "; ".join(failures))
    return [r.as_dict() for r in results]


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
    codes = councils or list(catalogue.councils())
    by_month, errors = _run_batch(
        warehouse, [return_month], codes, returns_base_url=returns_base_url, today=today, policy=policy
    )
    outcomes = [o.as_dict() for o in by_month[return_month]]
    emails = send_emails(warehouse, outcomes) if notify else []
    if errors:
        raise ReturnsRunError(f"{len(errors)} council return(s) of {return_month} failed: " + "; ".join(errors))
    return summarise(outcomes, emails)


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
    same batch (they come from the batch itself, in month order: validate.PreviousFigures),
    and loads go oldest month first, so "loaded" and "superseded" come out the same. One
    summary per month (also passed to `on_month` as each batch finishes). Emails about
    historical months are off unless `notify`. Raises ReturnsRunError at the end if any
    council-month failed; all others are done.
    """
    if months_per_batch < 1:
        raise ValueError("months_per_batch must be at least 1")
    codes = councils or list(catalogue.councils())
    months = sorted(set(months))
    summaries, errors = [], []
    for i in range(0, len(months), months_per_batch):
        chunk = months[i : i + months_per_batch]
        by_month, chunk_errors = _run_batch(
            warehouse, chunk, codes, returns_base_url=returns_base_url, today=today, policy=policy, bulk=True
        )
        errors += chunk_errors
        with connect(warehouse, role="loader") as conn:  # the next chunk reads what this one loaded
            landing.refresh_statistics(conn, ("raw.council_return_rows", *landing.LEDGER_TABLES))
        for month in chunk:
            outcomes = [o.as_dict() for o in by_month[month]]
            emails = send_emails(warehouse, outcomes) if notify else []
            summary = summarise(outcomes, emails)
            summary["return_month"] = month
            summaries.append(summary)
            log.info("backfill %s: %s", month, summary)
            if on_month:
                on_month(summary)
    if errors:
        raise ReturnsRunError(f"{len(errors)} council return(s) failed in the backfill: " + "; ".join(errors))
    return summaries
