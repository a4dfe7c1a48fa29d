"""The ingest lifecycle, written once for every source kind:

    fetch -> land (immutable, by sha256) -> ledger -> GX validation -> check results
          -> fail: reject + quarantine | pass/warn: COPY into raw + settle -> supersede

A kind is a declaration (kind.SourceKind): how to fetch a subject and period, how to read
a landed file, how to validate a batch of them, its raw table, its quarantine names and
its words. Nothing here knows councils or datasets.

The guarantees, for every kind:
- nothing is lost: every fetched file is landed and in the ledger before anything looks
  at it, and every fetch attempt is recorded, including the ones that found nothing;
- idempotent: the same bytes again are the same ledger row, and a submission already
  decided (rejected, loaded, superseded) is never redone; a file landed by a run that
  stopped before validating is validated by the next run;
- session advisory locks per subject and period, taken in one sorted order, so two runs
  of the same subject and period wait for each other and never deadlock;
- a batch validates all its new files in ONE call of the kind's validator (one GX run:
  GX's cost is per run), then records and loads or quarantines each file in its own
  transactions, oldest period first; a platform failure on one file (unreadable landed
  file, a rule that cannot run on its rows, a load that breaks) stops no other, and is
  handed back to the caller with the others done;
- the check results are committed before the load, so they stand even if the load fails;
- a backfill (`bulk`) commits without waiting for the WAL to reach the disk, reads a big
  batch's files in parallel processes and ANALYZEs the tables it grew after each batch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from councilbench.ingest import landing, ledger, raw
from councilbench.ingest.checks import CheckOutcome, Verdict, overall
from councilbench.ingest.fetch import Fetched, RetryPolicy
from councilbench.ingest.kind import Outcome, Pending, SourceKind, Target
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

#: A bulk batch's files add up to at least this before they are read in processes of
#: their own (read_landed): starting them costs about 2 s (each imports the readers). A
#: year of the 33 councils' returns is under 1 MB and read in a second or two; a quarter of
#: their spend files is about 30 MB (XLSX compressed) and half a minute of reading.
PARALLEL_READ_BYTES = 8 * 2**20


@dataclass
class Failure:
    """A target the platform failed on (not its file's fault); every other target of the
    run was processed and recorded before this is handed back."""

    target: Target
    step: str  # pull and landing | reading the landed file | validation | recording and loading
    error: Exception

    def __str__(self) -> str:
        return (
            f"{self.target.label} {self.target.period}: {self.step} failed: {type(self.error).__name__}: {self.error}"
        )


@dataclass
class Batch:
    outcomes: list[Outcome]  # in target order; targets that failed are left out
    failures: list[Failure]


# --- locks ----------------------------------------------------------------------------


def lock(conn, keys: Iterable[str]) -> None:
    """Session advisory locks, taken in one sorted order so that two runs (a backfill and
    the DAG, say) wait for each other and never deadlock."""
    conn.execute(
        "select pg_advisory_lock(hashtext(k)) from (select k from unnest(%s::text[]) as k order by k) s",
        [sorted(set(keys))],
    )
    conn.commit()


def unlock(conn, keys: Iterable[str]) -> None:
    conn.rollback()
    conn.execute("select pg_advisory_unlock(hashtext(k)) from unnest(%s::text[]) as k", [sorted(set(keys))])
    conn.commit()


# --- fetch and land -------------------------------------------------------------------


def land(conn, kind: SourceKind, target: Target, fetched: Fetched) -> ledger.Landed:
    """Store the fetched file, then record it; commits so the file is never unaccounted for."""
    try:
        with open(fetched.path, "rb") as f:
            sha, size, path = landing.store_stream(landing.iter_file(f))
    finally:
        fetched.discard()
    landed = ledger.record_landed(
        conn,
        source_kind=kind.name,
        subject=target.subject,
        period=target.period,
        source_uri=fetched.uri,
        sha256=sha,
        size_bytes=size,
        path=path,
        media_type=fetched.media_type,
        original_name=fetched.original_name or fetched.uri.rstrip("/").rsplit("/", 1)[-1],
    )
    conn.commit()
    return landed


def _record_requests(conn, kind: SourceKind, target: Target, fetched: Fetched, submission_id=None) -> None:
    """Every request of the fetch as a fetch attempt (a paged fetch: one per page)."""
    for request in fetched.pages or [fetched]:
        message = request.message
        if request is fetched and fetched.outcome == "received":
            message = f"received after {fetched.attempts} attempts" if fetched.attempts > 1 else ""
        ledger.record_fetch(
            conn,
            source_kind=kind.name,
            subject=target.subject,
            period=target.period,
            source_uri=request.uri,
            outcome=request.outcome,
            http_status=request.http_status,
            etag=request.etag,
            last_modified=request.last_modified,
            message=message or None,
            submission_id=submission_id,
        )


def _report(outcome: Outcome, sub: ledger.Submission) -> None:
    outcome.submission_id, outcome.status, outcome.outcome = sub.submission_id, sub.status, sub.outcome
    outcome.rows_loaded = sub.rows_loaded or 0


def fetch_and_land(
    conn, kind: SourceKind, target: Target, outcome: Outcome, policy: RetryPolicy = RetryPolicy(), session=None
) -> Pending | None:
    """Fetch the target and land what came (committed). The landed file when it still
    needs validating; None when there is nothing to validate (`outcome` says why).
    `session`: an HTTP session to reuse (a batch keeps its connections open)."""
    etag, last_modified = ledger.last_validators(
        conn, source_kind=kind.name, subject=target.subject, period=target.period, source_uri=target.uri
    )
    fetched = kind.fetch(target, etag=etag, last_modified=last_modified, policy=policy, session=session)
    outcome.fetch, outcome.message = fetched.outcome, fetched.message
    if fetched.outcome != "received":
        latest = ledger.latest_submission(conn, kind.name, target.subject, target.period)
        unchanged = None
        if fetched.outcome == "unchanged":
            unchanged = (
                ledger.submission_fetched_from(
                    conn, source_kind=kind.name, subject=target.subject, period=target.period, source_uri=target.uri
                )
                or latest
            )
        _record_requests(conn, kind, target, fetched, unchanged and unchanged.submission_id)
        if unchanged and unchanged.status == "received":
            # Landed by an earlier run that stopped before validating: finish the job.
            outcome.submission_id = unchanged.submission_id
            return Pending(target, outcome, unchanged.landed(), fetched.message)
        if unchanged or latest:  # unchanged since an earlier run, or gone: report that submission's state
            _report(outcome, unchanged or latest)
        log.info("%s %s: %s %s", target.label, target.period, fetched.outcome, fetched.message)
        return None

    landed = land(conn, kind, target, fetched)
    _record_requests(conn, kind, target, fetched, landed.submission_id)
    outcome.submission_id, outcome.new_submission = landed.submission_id, landed.is_new
    if landed.status != "received":  # the same bytes were already decided: nothing to redo
        _report(outcome, ledger.submission(conn, landed.submission_id))
        conn.commit()
        outcome.message = kind.wording.already_decided.format(submission_id=landed.submission_id, status=outcome.status)
        return None
    return Pending(target, outcome, landed, fetched.message)


# --- validate, record, quarantine or load -------------------------------------------------


def _prepare(conn, kind: SourceKind, items: list[Pending]):
    context = kind.prepare(conn, items) if kind.prepare and items else None
    conn.commit()
    return context


def _reading_workers(pending: list[Pending]) -> int:
    """Processes to read a bulk batch's files with: one per CPU when the files are big
    enough to pay for starting them, else none (read here)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cpus < 2 or len(pending) < 2 or sum(p.landed.size_bytes for p in pending) < PARALLEL_READ_BYTES:
        return 0
    return min(cpus, len(pending))


def read_landed(kind: SourceKind, pending: list[Pending], *, parallel: bool = False) -> dict[int, Failure]:
    """Each pending file read by the kind's parser into p.parsed; id(item) -> failure for
    those that could not be read (e.g. the landed file cannot be opened).

    `parallel` (a bulk batch): big batches are read in processes of their own, biggest
    file first. Reading is CPU-bound (a year of spend files is about a minute of
    openpyxl and parsing in one process). They are spawned, not forked: a fork would
    copy this process's threads' locks and open connections, and spawned ones inherit the
    environment as it is now. A file a worker could not read is read again here, so a
    broken worker costs time, never a file, and a file's failure is the one in-process
    reading gives.
    """
    workers = _reading_workers(pending) if parallel else 0
    if not workers:
        return _read_here(kind, pending)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    again = []
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        biggest_first = sorted(pending, key=lambda p: -p.landed.size_bytes)
        futures = {id(p): pool.submit(kind.parse, p.landed, p.target) for p in biggest_first}
        for p in pending:
            try:
                p.parsed = futures[id(p)].result()
            except Exception as exc:  # noqa: BLE001
                log.warning("%s %s: reading in a worker failed (%s: %s); reading it here",
                            p.target.label, p.target.period, type(exc).__name__, exc)  # fmt: skip
                again.append(p)
    return _read_here(kind, again)


def _read_here(kind: SourceKind, pending: list[Pending]) -> dict[int, Failure]:
    failures: dict[int, Failure] = {}
    for p in pending:
        try:
            p.parsed = kind.parse(p.landed, p.target)
        except Exception as exc:  # noqa: BLE001 - e.g. the landed file cannot be opened
            failures[id(p)] = _failed(p.target, "reading the landed file", exc)
    return failures


def validate_and_settle(
    conn, kind: SourceKind, pending: list[Pending], *, parallel_reads: bool = False
) -> dict[int, Failure]:
    """Validate every pending file in ONE call of the kind's validator, then record and
    load (or quarantine) each in its own transactions, oldest period first. The caller
    holds their locks. Returns id(pending item) -> failure, for those that failed.
    `parallel_reads`: see read_landed."""
    if not pending:
        return {}
    ordered = sorted(pending, key=lambda p: p.target.period)  # stable: target order within a period
    failures = read_landed(kind, ordered, parallel=parallel_reads)
    readable = [p for p in ordered if id(p) not in failures]
    verdicts: dict[int, Verdict] = {}
    try:
        context = _prepare(conn, kind, readable)
        verdicts = dict(zip(map(id, readable), kind.validate(readable, context) if readable else [], strict=True))
    except Exception:
        # A rule that cannot run on some file's rows (the platform's fault): validate one by
        # one, so only the file it breaks on fails and every other one goes on.
        conn.rollback()
        log.exception("batch validation of %d %s files failed; validating them one by one", len(readable), kind.name)
        context = _prepare(conn, kind, readable)
        for p in readable:
            try:
                verdicts[id(p)] = kind.validate([p], context)[0]
            except Exception as exc:  # noqa: BLE001
                failures[id(p)] = _failed(p.target, "validation", exc)
    for p in readable:
        if id(p) not in verdicts:
            continue
        try:
            record_and_settle(conn, kind, p, verdicts[id(p)])
        except Exception as exc:  # noqa: BLE001
            conn.rollback()
            failures[id(p)] = _failed(p.target, "recording and loading", exc)
    return failures


def _failed(target: Target, step: str, exc: Exception) -> Failure:
    failure = Failure(target, step, exc)
    log.error("%s", failure, exc_info=exc)
    return failure


def record_and_settle(conn, kind: SourceKind, p: Pending, verdict) -> None:
    """Record the verdict's checks, then quarantine a rejected file or load an accepted one."""
    sid, o = p.landed.submission_id, p.outcome
    ledger.submission(conn, sid, for_update=True)
    verdict_outcome = overall(verdict.checks)
    ledger.record_checks(conn, sid, verdict.checks, verdict_outcome, verdict.normalisations)
    o.outcome, o.recorded_now = verdict_outcome, True
    o.checks = {c.check: c.outcome for c in verdict.checks}
    if verdict_outcome == "fail":
        ledger.reject(conn, sid)
        conn.commit()
        o.status, o.rows_loaded = "rejected", 0
        folder, subfolder, suffix = kind.quarantine_name(p.target)
        o.quarantined = str(landing.quarantine(p.landed.path, subject=folder, period=subfolder, suffix=suffix))
        o.message = _rejection(kind, verdict.checks)
        log.warning("%s %s rejected: %s", p.target.label, p.target.period, o.message)
        return
    conn.commit()  # the validation results stand even if the load below fails
    o.rows_loaded = copy_and_settle(conn, kind, sid, verdict.rows)
    o.status = ledger.submission(conn, sid).status
    conn.commit()
    if kind.wording.loaded is not None:
        o.message = kind.wording.loaded.format(rows=o.rows_loaded, outcome=verdict_outcome)
    log.info("%s %s: %s, %d rows loaded", p.target.label, p.target.period, verdict_outcome, o.rows_loaded)


def _rejection(kind: SourceKind, checks: list[CheckOutcome]) -> str:
    return "; ".join(
        kind.wording.failure.format(check=c.check, message=c.message) for c in checks if c.outcome == "fail"
    )


def copy_and_settle(conn, kind: SourceKind, submission_id: int, rows) -> int:
    """An accepted submission's rows into the kind's raw table, in one transaction: they
    replace any earlier load of the same submission, and the submission is settled: the
    newest accepted file of a subject and period wins, older ones are kept (superseded)."""
    with conn.transaction():
        loaded = raw.replace_rows(conn, kind.raw_table, submission_id, rows)
        ledger.settle_loaded(conn, submission_id, loaded)
    return loaded


def refresh_statistics(conn, tables: Iterable[str]) -> None:
    """ANALYZE after a bulk load. Autovacuum gets there in its own time (a minute or
    more); until then the planner guesses, and with ten years loaded in two minutes
    the next month's look-up of previous values took 7 s instead of 0.2 s and dbt's
    incremental read of raw 20 s instead of 1 s (`make bench` measured both)."""
    for table in tables:
        conn.execute(f"analyze {table}")
    conn.commit()


# --- the ways through -----------------------------------------------------------------------


def run_batch(
    warehouse: Warehouse,
    kind: SourceKind,
    targets: list[Target],
    *,
    policy: RetryPolicy = RetryPolicy(),
    bulk: bool = False,
) -> Batch:
    """Fetch and land each target on its own, then validate_and_settle them all, under
    every target's lock, held to the end (a rerun waits).

    `bulk` (a backfill): commits do not wait for the WAL to reach the disk. A crash can
    then forget the last fraction of a second of commits, never corrupt anything; the
    landed files are on disk and a rerun redoes those targets exactly (every step is
    idempotent). A big batch's files are read in parallel processes (read_landed). The
    tables the batch grew are ANALYZEd afterwards.
    """
    import requests  # one session per batch: the sources' connections are kept open

    keys = [kind.lock_key(t.subject, t.period) for t in targets]
    outcomes: list[Outcome | None] = [None] * len(targets)
    failures: list[Failure] = []
    pending: list[Pending] = []
    with connect(warehouse, role="loader") as conn, requests.Session() as session:
        if bulk:
            conn.execute("set synchronous_commit to off")
        lock(conn, keys)
        try:
            for i, target in enumerate(targets):
                outcome = Outcome(target.subject, target.period, target.label)
                try:
                    waiting = fetch_and_land(conn, kind, target, outcome, policy, session)
                except Exception as exc:  # noqa: BLE001 - isolate the target, report at the end
                    conn.rollback()
                    failures.append(_failed(target, "pull and landing", exc))
                    continue
                outcomes[i] = outcome
                if waiting is not None:
                    pending.append(waiting)
            failed = validate_and_settle(conn, kind, pending, parallel_reads=bulk)
        finally:
            unlock(conn, keys)
        if bulk:
            refresh_statistics(conn, (kind.raw_table.name, *ledger.LEDGER_TABLES))
    failures += [failed[id(p)] for p in pending if id(p) in failed]
    dropped = {id(p.outcome) for p in pending if id(p) in failed}
    return Batch([o for o in outcomes if o is not None and id(o) not in dropped], failures)


def process(warehouse: Warehouse, kind: SourceKind, target: Target, *, policy: RetryPolicy = RetryPolicy()) -> Outcome:
    """One target end to end: a batch of one that raises what the platform failed on."""
    batch = run_batch(warehouse, kind, [target], policy=policy)
    if batch.failures:
        raise batch.failures[0].error
    return batch.outcomes[0]


def land_only(
    warehouse: Warehouse, kind: SourceKind, target: Target, *, policy: RetryPolicy = RetryPolicy()
) -> Outcome:
    """Fetch and land one target under its lock (a DAG's mapped task). A newly landed file
    is left for `validate_landed` (the outcome's status is None and its submission_id
    set); anything else is final here."""
    outcome = Outcome(target.subject, target.period, target.label)
    keys = [kind.lock_key(target.subject, target.period)]
    with connect(warehouse, role="loader") as conn:
        lock(conn, keys)
        try:
            fetch_and_land(conn, kind, target, outcome, policy)
        finally:
            unlock(conn, keys)
    return outcome


def validate_landed(warehouse: Warehouse, kind: SourceKind, landed: list[tuple[Target, Outcome]]) -> list[Failure]:
    """Validate every file `land_only` left waiting in ONE validator call, then record and
    load or quarantine each (the outcomes are updated in place): a DAG's one validation task.

    Idempotent: under the targets' locks, a submission that is no longer `received` (a
    rerun, or another run, got there first) is reported as recorded. One target's failure
    stops no other; the caller raises after the others are done, and a retry redoes only
    what is still waiting.
    """
    todo = [(t, o) for t, o in landed if o.submission_id is not None and o.status is None]
    if not todo:
        return []
    keys = [kind.lock_key(t.subject, t.period) for t, _ in todo]
    with connect(warehouse, role="loader") as conn:
        lock(conn, keys)
        try:
            pending = []
            for target, outcome in todo:
                sub = ledger.submission(conn, outcome.submission_id)
                if sub.status != "received":
                    # Recorded by an earlier try of this run (or a concurrent run): it still
                    # counts as this run's new file for the warehouse build.
                    _report(outcome, sub)
                    outcome.recorded_now = True
                    continue
                pending.append(Pending(target, outcome, sub.landed(), outcome.message))
            conn.commit()
            return list(validate_and_settle(conn, kind, pending).values())
        finally:
            unlock(conn, keys)
