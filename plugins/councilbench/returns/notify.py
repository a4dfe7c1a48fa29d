"""Emailing a council about its validated return, at most once per submission and kind:
a rejection for a file that failed, a receipt for a file accepted and loaded.

Called from an Airflow task after the validation results are committed to
ops.check_results, so nothing here can lose them: this module only reads the ledger,
the council's contacts and (for a receipt) the rows loaded, and writes ops.notifications.

How a send is made exactly-once-ish:

1. a row (submission, kind) is inserted into ops.notifications as 'pending' and
   committed (ON CONFLICT DO NOTHING: a rerun finds the existing row);
2. that row is locked (SELECT ... FOR UPDATE): a second run at the same time waits
   here, then finds 'sent' and does nothing;
3. 'sent' already -> nothing to do. Otherwise the email goes out through Airflow's SMTP
   provider (SmtpHook, connection smtp_default) and the row becomes 'sent' with the
   Message-ID, in the same transaction that held the lock;
4. an SMTP failure marks the row 'failed' (attempts + 1, last_error) and re-raises, so
   Airflow retries the task and its failure notifier tells the platform team.

The one gap: if the process dies after the SMTP server accepted the message but before
the 'sent' commit, a retry sends it again. The Message-ID is derived from submission
and kind, so the duplicate is recognisable as the same email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from councilbench.core.catalogue import Contact, Council
from councilbench.mail.smtp import SMTP_CONN_ID, describe_error, send_message
from councilbench.returns.contract import ValidationReport
from councilbench.returns.email_render import (
    LoadSummary,
    SubmissionRef,
    compose,
    message_id,
    subject_line,
)
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

#: How long a second run waits for the first to finish sending before giving up (and
#: being retried by Airflow). Longer than the SMTP connection timeout (30 s by default).
LOCK_TIMEOUT = "120s"
MAX_ERROR_LENGTH = 2000


class NotifyError(RuntimeError):
    """The email could not be sent; ops.notifications says why (status 'failed')."""


class NoContactsError(NotifyError):
    """The council has no contacts in reference.council_contacts."""


@dataclass(frozen=True)
class NotifyResult:
    submission_id: int
    kind: str  # rejection | receipt
    status: str  # sent | already_sent
    recipients: tuple[str, ...] = field(default_factory=tuple)
    subject: str | None = None
    message_id: str | None = None
    attempts: int = 0

    @property
    def sent_now(self) -> bool:
        return self.status == "sent"

    def __str__(self) -> str:
        return f"submission {self.submission_id} {self.kind}: {self.status} to {', '.join(self.recipients)}"


def notification_kind(report: ValidationReport) -> str:
    """rejection for a failed return; receipt for an accepted one (its warnings, if any, in it)."""
    return "rejection" if report.outcome == "fail" else "receipt"


# --- reading what the email needs --------------------------------------------------------

WarehouseLike = Warehouse | str | Callable[[], object]


def _open(warehouse: WarehouseLike):
    """A loader connection (autocommit off). A callable is used as a connection factory."""
    if callable(warehouse):
        return warehouse()
    return connect(warehouse, role="loader")


def _submission(conn, submission_id: int) -> tuple[SubmissionRef, str, str, str | None, str]:
    """The submission's reference, council, month, recorded outcome and status."""
    row = conn.execute(
        """select source_kind, subject, period, sha256, fetched_at, source_uri, original_name, outcome, status
           from ops.submissions where submission_id = %s""",
        [submission_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"no submission {submission_id} in ops.submissions")
    source_kind, subject, period, sha256, fetched_at, source_uri, original_name, outcome, status = row
    if source_kind != "council_return":
        raise ValueError(f"submission {submission_id} is a {source_kind}, not a council return: no council to email")
    return _ref(submission_id, sha256, fetched_at, source_uri, original_name), subject, period, outcome, status


def _ref(submission_id, sha256, fetched_at, source_uri, original_name) -> SubmissionRef:
    return SubmissionRef(
        submission_id=submission_id,
        sha256=sha256.strip(),
        received_at=fetched_at,
        source_uri=source_uri,
        original_name=original_name,
    )


def load_summary(conn, submission_id: int, council_code: str, period: str) -> LoadSummary:
    """What the submission put in raw (its rows by status), the accepted file of the same
    month it superseded, and when the month's pack went to the council (if it has)."""
    rows, actual, estimates, not_available = conn.execute(
        """select count(*), count(*) filter (where status = 'actual'), count(*) filter (where status = 'estimate'),
                  count(*) filter (where status = 'not_available')
           from raw.council_return_rows where submission_id = %s""",
        [submission_id],
    ).fetchone()
    replaced = conn.execute(
        """select submission_id, sha256, fetched_at, source_uri, original_name from ops.submissions
           where source_kind = 'council_return' and subject = %s and period = %s and status = 'superseded'
             and submission_id < %s
           order by submission_id desc limit 1""",
        [council_code, period, submission_id],
    ).fetchone()
    pack = conn.execute(
        """select sent_at from ops.report_sends
           where council_code = %s and report_month = %s and kind = 'monthly_pack' and status = 'sent'""",
        [council_code, period],
    ).fetchone()
    return LoadSummary(
        rows,
        actual,
        estimates,
        not_available,
        replaces=_ref(*replaced) if replaced else None,
        pack_sent_at=pack[0] if pack else None,
    )


def council_from_registry(conn, council_code: str) -> Council:
    row = conn.execute(
        """select gss_code, council_name, short_name, tier, county_gss_code, county_name, return_source, website
           from reference.council_registry where gss_code = %s""",
        [council_code],
    ).fetchone()
    if row is None:
        raise LookupError(f"council {council_code} is not in reference.council_registry")
    return Council(
        code=row[0],
        name=row[1],
        short_name=row[2],
        tier=row[3],
        county_code=row[4],
        county_name=row[5],
        return_source=row[6],
        website=row[7],
    )


def council_contacts(conn, council_code: str) -> list[Contact]:
    """This council's contacts from reference.council_contacts, primary first; nobody else's."""
    rows = conn.execute(
        """select gss_code, contact_name, email, role from reference.council_contacts
           where gss_code = %s and coalesce(trim(email), '') <> ''
           order by case role when 'primary' then 0 when 'deputy' then 1 else 2 end, contact_name, email""",
        [council_code],
    ).fetchall()
    contacts = [Contact(r[0], r[1], r[2].strip(), r[3]) for r in rows]
    # Belt and braces: an email about one council's return goes to that council only.
    assert all(c.council_code == council_code for c in contacts), "contacts of another council selected"
    seen, unique = set(), []
    for c in contacts:  # one person listed twice gets one copy
        if c.email.lower() not in seen:
            seen.add(c.email.lower())
            unique.append(c)
    return unique


# --- the ledger ----------------------------------------------------------------------------


def _ensure_row(conn, submission_id: int, kind: str, recipients: list[str], subject: str) -> None:
    conn.execute(
        """insert into ops.notifications (submission_id, kind, recipients, subject_line, status)
           values (%s, %s, %s, %s, 'pending') on conflict (submission_id, kind) do nothing""",
        [submission_id, kind, recipients, subject],
    )


def _lock_row(conn, submission_id: int, kind: str):
    conn.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
    return conn.execute(
        """select status, attempts, recipients, subject_line, message_id from ops.notifications
           where submission_id = %s and kind = %s for update""",
        [submission_id, kind],
    ).fetchone()


def _existing_sent(conn, submission_id: int, kind: str):
    return conn.execute(
        """select recipients, subject_line, message_id, attempts from ops.notifications
           where submission_id = %s and kind = %s and status = 'sent'""",
        [submission_id, kind],
    ).fetchone()


def _mark_failed(conn, submission_id: int, kind: str, recipients: list[str], subject: str, error: str) -> int:
    """Record a failure (creating the row if needed); never downgrades a 'sent' row."""
    row = conn.execute(
        """insert into ops.notifications (submission_id, kind, recipients, subject_line, status, attempts, last_error)
           values (%s, %s, %s, %s, 'failed', 1, %s)
           on conflict (submission_id, kind) do update set
               status = 'failed', attempts = ops.notifications.attempts + 1, last_error = excluded.last_error,
               recipients = excluded.recipients, subject_line = excluded.subject_line
           where ops.notifications.status <> 'sent'
           returning attempts""",
        [submission_id, kind, recipients, subject, error[:MAX_ERROR_LENGTH]],
    ).fetchone()
    conn.commit()
    return row[0] if row else 0


def _checked_submission(conn, submission_id: int, report: ValidationReport, kind: str):
    """The submission (reference, council, month), once it is sure the email is about it:
    the report is its own, the ledger agrees with it, and a receipt's rows are loaded."""
    submission, council_code, period, recorded_outcome, status = _submission(conn, submission_id)
    if (council_code, period) != (report.council_code, report.return_month):
        raise ValueError(
            f"report is for {report.council_code} {report.return_month} but submission "
            f"{submission_id} is {council_code} {period}"
        )
    if recorded_outcome is not None and recorded_outcome != report.outcome:
        raise ValueError(
            f"submission {submission_id} is recorded as {recorded_outcome!r} but the report "
            f"says {report.outcome!r}: not emailing the council about a result the ledger contradicts"
        )
    if kind == "receipt" and status not in ("loaded", "superseded"):
        raise ValueError(
            f"submission {submission_id} is {status!r}, not loaded: a receipt says what was loaded, "
            "so it waits for the load"
        )
    return submission, council_code, period


def still_owed(conn, submission_id: int, kind: str) -> bool:
    """Whether an email of this kind about this submission was attempted and has not gone
    yet (pending or failed in the ledger)."""
    return (
        conn.execute(
            "select 1 from ops.notifications where submission_id = %s and kind = %s and status <> 'sent'",
            [submission_id, kind],
        ).fetchone()
        is not None
    )


def notify_submission(
    warehouse: WarehouseLike,
    submission_id: int,
    report: ValidationReport,
    *,
    smtp_conn_id: str = SMTP_CONN_ID,
    due: datetime | None = None,
    sender: str | None = None,
    ops_email: str | None = None,
) -> NotifyResult:
    """Email the submission's council about its validation report, at most once.

    warehouse: a Warehouse or URL (connected to as the loader role), or a callable
    returning a loader connection. report: the validation report recorded for this
    submission. Sends a rejection for outcome 'fail', a receipt (with the warnings, if
    any) for 'pass' or 'warn' once the rows are loaded. Returns what happened; raises
    (after recording status 'failed') when the council has no contacts or the SMTP
    server does not take the message.
    """
    kind = notification_kind(report)
    conn = _open(warehouse)
    try:
        if conn.autocommit:
            conn.autocommit = False
        submission, council_code, period = _checked_submission(conn, submission_id, report, kind)
        already = _existing_sent(conn, submission_id, kind)
        if already:  # cheap path for reruns: no contacts, composing or SMTP needed
            conn.commit()
            log.info("submission %s %s email already sent (%s)", submission_id, kind, already[2])
            return NotifyResult(
                submission_id, kind, "already_sent", tuple(already[0]), already[1], already[2], already[3]
            )

        council = council_from_registry(conn, council_code)
        contacts = council_contacts(conn, council_code)
        loaded = load_summary(conn, submission_id, council_code, period) if kind == "receipt" else None
        subject = subject_line(kind, report, council, loaded)
        recipients = [c.email for c in contacts]
        if not contacts:
            error = (
                f"no contacts for {council.name} ({council_code}) in reference.council_contacts: "
                f"add them to the council_contacts seed and rerun"
            )
            _mark_failed(conn, submission_id, kind, [], subject, error)
            raise NoContactsError(error)

        msg = compose(
            kind,
            report,
            council=council,
            contacts=contacts,
            submission=submission,
            sender=sender,
            ops_email=ops_email,
            due=due,
            loaded=loaded,
        )
        from_addr = msg["From"].addresses[0].addr_spec
        addressed = sorted(a.addr_spec.lower() for a in msg["To"].addresses)
        if addressed != sorted(r.lower() for r in recipients) or msg["Cc"] or msg["Bcc"]:
            raise AssertionError(f"email to {council_code} is addressed to {addressed}, expected {recipients}")

        _ensure_row(conn, submission_id, kind, recipients, subject)
        conn.commit()
        row = _lock_row(conn, submission_id, kind)  # a concurrent run waits here
        if row is None:
            raise NotifyError(f"ops.notifications row for submission {submission_id} {kind} vanished")
        if row[0] == "sent":
            conn.commit()
            return NotifyResult(submission_id, kind, "already_sent", tuple(row[2]), row[3], row[4], row[1])

        try:
            refused = send_message(msg, from_addr=from_addr, to_addrs=recipients, smtp_conn_id=smtp_conn_id)
        except Exception as exc:
            conn.rollback()  # release the lock; _mark_failed records the failure on its own
            attempts = _mark_failed(conn, submission_id, kind, recipients, subject, describe_error(exc))
            log.error(
                "submission %s %s email to %s failed (attempt %s): %s",
                submission_id,
                kind,
                ", ".join(recipients),
                attempts,
                describe_error(exc),
            )
            raise

        # Some recipients refused, others accepted: resending would duplicate for the
        # ones who got it, so the email counts as sent and the refusal is recorded.
        note = f"refused by the SMTP server: {refused}" if refused else None
        attempts = conn.execute(
            """update ops.notifications set status = 'sent', sent_at = now(), message_id = %s,
                   attempts = attempts + 1, last_error = %s, recipients = %s, subject_line = %s
               where submission_id = %s and kind = %s returning attempts""",
            [msg["Message-ID"], note, recipients, subject, submission_id, kind],
        ).fetchone()[0]
        conn.commit()
        if refused:
            log.warning("submission %s %s email: %s", submission_id, kind, note)
        log.info("submission %s: %s email sent to %s", submission_id, kind, ", ".join(recipients))
        return NotifyResult(submission_id, kind, "sent", tuple(recipients), subject, msg["Message-ID"], attempts)
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


__all__ = [
    "NoContactsError",
    "NotifyError",
    "NotifyResult",
    "council_contacts",
    "council_from_registry",
    "load_summary",
    "message_id",
    "notification_kind",
    "notify_submission",
    "send_message",
    "still_owed",
]
