"""The submission ledger: the one writer of ops.submissions, ops.fetch_attempts and
ops.check_results, for every source kind.

A submission is one distinct file (by sha256) fetched for a subject (a council, a public
dataset) and period. Its status moves once: received -> rejected, or received -> loaded
-> superseded (a newer file of the same subject and period was loaded; its rows stay in
raw, so history stays queryable). Every fetch attempt is a row too, including the ones
that found nothing: "not received" is recorded data, not an absence.

Functions here do not commit unless they say so: the lifecycle decides what goes in one
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from councilbench.ingest.checks import CheckOutcome

#: The loader's tables that a bulk load grows, besides each kind's raw table.
LEDGER_TABLES = ("ops.submissions", "ops.fetch_attempts", "ops.check_results")


@dataclass(frozen=True)
class Landed:
    submission_id: int
    sha256: str
    size_bytes: int
    path: Path
    is_new: bool  # False when these bytes were already in the ledger for this subject and period
    status: str  # the ledger status (received, rejected, loaded, superseded)
    original_name: str | None = None  # what the source called the file: parsers name it in their words
    media_type: str | None = None  # what the source said it was (Content-Type)


@dataclass(frozen=True)
class Submission:
    """A submission's state as the ledger holds it."""

    submission_id: int
    status: str
    outcome: str | None
    rows_loaded: int | None
    landing_path: str
    sha256: str
    size_bytes: int
    original_name: str | None = None
    media_type: str | None = None

    def landed(self) -> Landed:
        return Landed(
            self.submission_id,
            self.sha256,
            self.size_bytes,
            Path(self.landing_path),
            False,
            self.status,
            self.original_name,
            self.media_type,
        )


_SUBMISSION = "submission_id, status, outcome, rows_loaded, landing_path, sha256, size_bytes, original_name, media_type"


def record_landed(
    conn,
    *,
    source_kind: str,
    subject: str,
    period: str,
    source_uri: str,
    sha256: str,
    size_bytes: int,
    path: Path,
    media_type: str | None = None,
    original_name: str | None = None,
) -> Landed:
    """Insert the ledger row of a landed file, or return the existing one for the same bytes."""
    row = conn.execute(
        """
        insert into ops.submissions
            (source_kind, subject, period, source_uri, sha256, size_bytes, media_type, original_name, landing_path)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (source_kind, subject, period, sha256) do nothing
        returning submission_id, status
        """,
        [source_kind, subject, period, source_uri, sha256, size_bytes, media_type, original_name, str(path)],
    ).fetchone()
    is_new = row is not None
    if not is_new:
        row = conn.execute(
            "select submission_id, status from ops.submissions"
            " where source_kind = %s and subject = %s and period = %s and sha256 = %s",
            [source_kind, subject, period, sha256],
        ).fetchone()
    return Landed(row[0], sha256, size_bytes, path, is_new, row[1], original_name, media_type)


def submission(conn, submission_id: int, *, for_update: bool = False) -> Submission:
    """One submission's state; `for_update` locks its row until the transaction ends."""
    row = conn.execute(
        f"select {_SUBMISSION} from ops.submissions where submission_id = %s" + (" for update" if for_update else ""),
        [submission_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"no submission {submission_id} in ops.submissions")
    return Submission(*row)


def latest_submission(conn, source_kind: str, subject: str, period: str) -> Submission | None:
    row = conn.execute(
        f"""select {_SUBMISSION} from ops.submissions
           where source_kind = %s and subject = %s and period = %s
           order by submission_id desc limit 1""",
        [source_kind, subject, period],
    ).fetchone()
    return Submission(*row) if row else None


def record_fetch(
    conn,
    *,
    source_kind: str,
    subject: str,
    period: str,
    source_uri: str,
    outcome: str,
    http_status: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    message: str | None = None,
    submission_id: int | None = None,
) -> None:
    """One fetch attempt (committed: an attempt is recorded whatever happens next)."""
    conn.execute(
        """
        insert into ops.fetch_attempts
            (source_kind, subject, period, source_uri, outcome, http_status, etag, last_modified, message, submission_id)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        [source_kind, subject, period, source_uri, outcome, http_status, etag, last_modified, message, submission_id],
    )
    conn.commit()


def last_validators(
    conn, *, source_kind: str, subject: str, period: str, source_uri: str
) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of the last successful fetch, for a conditional request."""
    row = conn.execute(
        """
        select etag, last_modified from ops.fetch_attempts
        where source_kind = %s and subject = %s and period = %s and source_uri = %s
          and outcome in ('received', 'unchanged') and (etag is not null or last_modified is not null)
        order by attempted_at desc, attempt_id desc limit 1
        """,
        [source_kind, subject, period, source_uri],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def submission_fetched_from(conn, *, source_kind: str, subject: str, period: str, source_uri: str) -> Submission | None:
    """The submission the last successful fetch from this address landed: what a 304 from
    it means. (Not simply the latest submission: a later one may have come from another
    address, e.g. a corrected file published elsewhere and rejected.)"""
    row = conn.execute(
        f"""select {_SUBMISSION} from ops.submissions
           where submission_id = (
               select submission_id from ops.fetch_attempts
               where source_kind = %s and subject = %s and period = %s and source_uri = %s
                 and outcome in ('received', 'unchanged') and submission_id is not null
               order by attempted_at desc, attempt_id desc limit 1)""",
        [source_kind, subject, period, source_uri],
    ).fetchone()
    return Submission(*row) if row else None


def record_checks(
    conn, submission_id: int, checks: Iterable[CheckOutcome], outcome: str, normalisations: Iterable[str] = ()
) -> None:
    """One ops.check_results row per check, and the submission's overall outcome and
    normalisations. A rerun replaces what an earlier validation of the submission wrote."""
    rows = [
        (
            submission_id,
            c.check,
            c.severity,
            c.outcome,
            c.failing_row_count,
            json.dumps(c.failing_rows_as_data(), default=str),
            c.message,
        )
        for c in checks
    ]
    conn.execute("delete from ops.check_results where submission_id = %s", [submission_id])
    with conn.cursor() as cur:
        cur.executemany(
            """insert into ops.check_results
                   (submission_id, check_name, severity, outcome, failing_row_count, failing_rows, message)
               values (%s, %s, %s, %s, %s, %s::jsonb, %s)""",
            rows,
        )
    conn.execute(
        "update ops.submissions set outcome = %s, normalisations = %s::jsonb where submission_id = %s",
        [outcome, json.dumps(list(normalisations)), submission_id],
    )


@dataclass(frozen=True)
class RecordedCheck:
    """One check as ops.check_results holds it (what the emails about a file read back)."""

    name: str
    outcome: str
    message: str
    failing_rows: list[dict]
    failing_row_count: int


def recorded_checks(conn, submission_id: int) -> list[RecordedCheck]:
    """The submission's recorded checks, by name."""
    rows = conn.execute(
        """select check_name, outcome, message, failing_rows, failing_row_count from ops.check_results
           where submission_id = %s order by check_name""",
        [submission_id],
    ).fetchall()
    return [RecordedCheck(*r) for r in rows]


def reject(conn, submission_id: int) -> None:
    """A file that failed validation: rejected, nothing of it loaded."""
    conn.execute(
        """update ops.submissions set status = 'rejected', outcome = 'fail', rows_loaded = 0,
                  status_changed_at = now() where submission_id = %s""",
        [submission_id],
    )


def settle_loaded(conn, submission_id: int, rows_loaded: int) -> str:
    """After a submission's rows are in raw (same transaction): it becomes `loaded`, and
    earlier loaded submissions for the same subject and period become `superseded`
    (their rows stay, so history stays queryable). If a newer one is loaded already,
    this one is `superseded` at once. Returns the status given."""
    kind, subject, period = conn.execute(
        "select source_kind, subject, period from ops.submissions where submission_id = %s for update", [submission_id]
    ).fetchone()
    newer = conn.execute(
        """select 1 from ops.submissions where source_kind = %s and subject = %s and period = %s
           and status = 'loaded' and submission_id > %s limit 1""",
        [kind, subject, period, submission_id],
    ).fetchone()
    status = "superseded" if newer else "loaded"
    conn.execute(
        """update ops.submissions set status = %s, rows_loaded = %s, status_changed_at = now()
           where submission_id = %s""",
        [status, rows_loaded, submission_id],
    )
    conn.execute(
        """update ops.submissions set status = 'superseded', status_changed_at = now()
           where source_kind = %s and subject = %s and period = %s and status = 'loaded' and submission_id < %s""",
        [kind, subject, period, submission_id],
    )
    return status
