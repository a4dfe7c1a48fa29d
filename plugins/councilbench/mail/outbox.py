"""The send-once outbox: every email the platform sends goes through here, at most once.

One ledger, ops.outbox, one row per email, keyed by (kind, subject, period, submission):

- about one file a council sent (the submission is part of the key): a rejection (the
  file failed validation: what to fix) and a receipt (accepted and loaded, with its
  warnings if any); 'warning' only in rows from before receipts existed;
- about a council's month (no submission): its monthly pack, the return reminder before
  the due date and the chaser after it;
- about the whole region's month: the platform team's month summary, whose subject is
  the region (REGION_CODE);
- asked for by a council: its pay report (reports.pay_report_sending), whose period is
  '<pay year>:<hash of the comparison group and roles>', so the same request goes once.

The subject is the council's GSS code and the period its month (YYYY-MM), as in
ops.submissions. The modules that write emails (returns.notify, returns.reminders,
reports.sending) compose them and choose the recipients; only this module writes the
ledger, and its unique key is what makes a rerun never send the same email twice.

How a send is made exactly-once-ish (the same steps for every kind):

1. a 'sent' row already there -> nothing to do, not even composing (a rerun or a retry
   is a no-op);
2. `prepare(conn)` builds the message and checks it (right recipients only; a kind's
   own checks); it raises NoRecipients when there is nobody to send to, which is
   recorded as 'failed' with the reason and returned as status no_contacts;
3. a 'pending' row is inserted and committed (ON CONFLICT DO NOTHING: a rerun finds the
   existing row), then locked (SELECT ... FOR UPDATE, waiting at most LOCK_TIMEOUT): a
   concurrent run waits there, then finds 'sent' and does nothing;
4. the email goes out through Airflow's SMTP provider (mail.smtp: SmtpHook on
   smtp_default) and the row becomes 'sent' with the Message-ID in the transaction that
   held the lock; an SMTP failure marks it 'failed' (attempts + 1, last_error) and
   re-raises, so Airflow retries the task and its failure notifier tells the platform team.

A message some recipients refused and others accepted counts as sent (resending would
duplicate it for those who got it), the refusal recorded in last_error. The one gap: a
crash after the SMTP server accepted the message but before the commit sends it again
on the retry; every Message-ID is derived from the key, so the duplicate is
recognisable as the same email.

Before the outbox there were two ledgers, ops.notifications (per submission) and
ops.report_sends (per council and month); `councilbench db up` copies their rows here
once and drops them (warehouse/ddl.py), so nothing sent before an upgrade goes again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from councilbench.mail.smtp import SMTP_CONN_ID, describe_error, send_message
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

#: The subject of emails about the whole region (the platform team's month summary).
REGION_CODE = "E12000005"
#: Emails about one submission: the submission is part of their key.
SUBMISSION_KINDS = ("rejection", "receipt")
#: Emails about a council's (or the region's) month.
MONTH_KINDS = ("monthly_pack", "return_reminder", "return_chaser", "month_summary")
#: Emails a council asks for: its pay report (period '<pay year>:<selection hash>').
REQUEST_KINDS = ("pay_report",)
#: What can be sent (ops.outbox's check also admits 'warning', from before receipts).
KINDS = SUBMISSION_KINDS + MONTH_KINDS + REQUEST_KINDS
#: How long a second run waits for the first to finish sending before giving up (and
#: being retried by Airflow). Longer than the SMTP connection timeout (30 s by default).
LOCK_TIMEOUT = "120s"
MAX_ERROR_LENGTH = 2000


class NoRecipients(RuntimeError):
    """There is nobody to send this email to (e.g. no contacts in the registry).

    subject_line: the email's subject, for the ledger's record of the failure."""

    def __init__(self, reason: str, *, subject_line: str):
        super().__init__(reason)
        self.subject_line = subject_line


@dataclass(frozen=True)
class OutboxKey:
    """Which email: at most one is sent per key."""

    kind: str
    subject: str  # the council's GSS code; REGION_CODE for the whole region
    period: str  # the month, YYYY-MM (a pay report: '<pay year>:<selection hash>')
    submission_id: int | None = None  # the file the email is about (SUBMISSION_KINDS only)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown email kind {self.kind!r} (one of {', '.join(KINDS)})")
        if (self.submission_id is not None) != (self.kind in SUBMISSION_KINDS):
            raise ValueError(f"a {self.kind} email {'needs' if self.kind in SUBMISSION_KINDS else 'has no'} submission")

    def message_id(self) -> str:
        """The Message-ID of an email about a month (reminders, chasers, the summary)."""
        return f"<{self.kind.replace('_', '-')}-{self.subject}-{self.period}@councilbench>"

    def where(self) -> tuple[str, list]:
        """The SQL condition selecting this key's row, and its parameters."""
        params = [self.kind, self.subject, self.period]
        if self.submission_id is None:
            return "kind = %s and subject = %s and period = %s and submission_id is null", params
        return "kind = %s and subject = %s and period = %s and submission_id = %s", [*params, self.submission_id]

    def __str__(self) -> str:
        about = f" (submission {self.submission_id})" if self.submission_id is not None else ""
        return f"{self.kind} for {self.subject} {self.period}{about}"


@dataclass
class SendResult:
    """What send_once did about one key (as_dict: the shape the DAGs' XComs carry)."""

    key: OutboxKey
    status: str  # sent | already_sent | no_contacts
    recipients: tuple[str, ...] = field(default_factory=tuple)
    subject: str | None = None
    message_id: str | None = None
    attempts: int = 0
    error: str | None = None

    def as_dict(self) -> dict:
        return {
            "council_code": self.key.subject,
            "month": self.key.period,
            "kind": self.key.kind,
            "submission_id": self.key.submission_id,
            "status": self.status,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "message_id": self.message_id,
            "attempts": self.attempts,
            "error": self.error,
        }


# --- reading the ledger ----------------------------------------------------------------------


def _sent(conn, key: OutboxKey):
    where, params = key.where()
    return conn.execute(
        f"""select recipients, subject_line, message_id, attempts, sent_at from ops.outbox
            where {where} and status = 'sent'""",
        params,
    ).fetchone()


def already_sent(warehouse: Warehouse, key: OutboxKey) -> bool:
    with connect(warehouse, role="loader") as conn:
        return _sent(conn, key) is not None


def sent_at(conn, key: OutboxKey) -> datetime | None:
    """When the email went, or None if it has not (yet)."""
    row = _sent(conn, key)
    return row[4] if row else None


def still_owed(conn, kind: str, submission_id: int) -> bool:
    """Whether an email of this kind about this submission was attempted and has not gone
    yet (pending or failed in the ledger)."""
    return (
        conn.execute(
            "select 1 from ops.outbox where submission_id = %s and kind = %s and status <> 'sent'",
            [submission_id, kind],
        ).fetchone()
        is not None
    )


def email_decided_files(warehouse, outcomes, notify_file, what: str) -> list[dict]:
    """One email per file a run decided (rejected or loaded): the files this run recorded,
    and those an earlier run decided whose email was attempted and did not go (an SMTP
    outage, then a rerun; a file loaded without emails, a backfill, gets none later).
    Every council is attempted before any failure is raised, so Airflow's retry sends only
    what did not go. `outcomes`: the lifecycle's (submission_id, status, recorded_now,
    label); `notify_file(warehouse, submission_id)` sends one, at most once."""
    sent, errors = [], []
    for o in outcomes:
        if not (o.submission_id and o.status in ("rejected", "loaded", "superseded")):
            continue
        if not o.recorded_now:
            kind = "rejection" if o.status == "rejected" else "receipt"
            with connect(warehouse, role="loader") as conn:
                if not still_owed(conn, kind, o.submission_id):
                    continue
        try:
            sent.append(notify_file(warehouse, o.submission_id))
        except Exception as exc:  # noqa: BLE001 - the other councils' emails must not wait
            log.error("%s email to %s about submission %s failed: %s", what, o.label, o.submission_id, exc)
            errors.append(f"{o.label}: {exc}")
    if errors:
        raise RuntimeError(f"{len(errors)} {what} email(s) not sent (retried by Airflow): " + "; ".join(errors))
    return sent


# --- writing it ----------------------------------------------------------------------------------

_KEY_COLUMNS = "kind, subject, period, submission_id"


@dataclass(frozen=True)
class _Envelope:
    """What the ledger records of a prepared message."""

    recipients: list[str]
    subject: str
    message_id: str
    attachments: list[str]

    @classmethod
    def of(cls, key: OutboxKey, msg: EmailMessage) -> _Envelope:
        if msg["Cc"] or msg["Bcc"]:
            raise AssertionError(f"{msg['Subject']!r} has Cc/Bcc: every email goes to its To list only")
        if msg["Message-ID"] is None:
            raise ValueError(f"the {key} email has no Message-ID: derive one from its key")
        return cls(
            [a.addr_spec for a in msg["To"].addresses],
            str(msg["Subject"]),
            str(msg["Message-ID"]),
            [p.get_filename() for p in msg.iter_attachments()],
        )


def _key_values(key: OutboxKey) -> list:
    return [key.kind, key.subject, key.period, key.submission_id]


def _mark_failed(conn, key: OutboxKey, recipients: list[str], subject: str, error: str) -> int:
    """Record a failure (creating the row if needed) and commit; never downgrades a 'sent' row."""
    row = conn.execute(
        f"""insert into ops.outbox ({_KEY_COLUMNS}, recipients, subject_line, status, attempts, last_error)
            values (%s, %s, %s, %s, %s, %s, 'failed', 1, %s)
            on conflict ({_KEY_COLUMNS}) do update set
                status = 'failed', attempts = ops.outbox.attempts + 1, last_error = excluded.last_error,
                recipients = excluded.recipients, subject_line = excluded.subject_line
            where ops.outbox.status <> 'sent'
            returning attempts""",
        [*_key_values(key), recipients, subject, error[:MAX_ERROR_LENGTH]],
    ).fetchone()
    conn.commit()
    return row[0] if row else 0


def _insert_and_lock(conn, key: OutboxKey, envelope: _Envelope):
    """Insert the 'pending' row (committed), then lock it: a concurrent run waits here."""
    conn.execute(
        f"""insert into ops.outbox ({_KEY_COLUMNS}, recipients, subject_line, attachments, status)
            values (%s, %s, %s, %s, %s, %s, %s, 'pending') on conflict ({_KEY_COLUMNS}) do nothing""",
        [*_key_values(key), envelope.recipients, envelope.subject, envelope.attachments],
    )
    conn.commit()
    conn.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
    where, params = key.where()
    row = conn.execute(
        f"select status, attempts, recipients, subject_line, message_id from ops.outbox where {where} for update",
        params,
    ).fetchone()
    if row is None:
        raise RuntimeError(f"the ops.outbox row of the {key} email vanished")
    return row


def _mark_sent(conn, key: OutboxKey, envelope: _Envelope, refused: dict) -> int:
    """'sent' and the Message-ID, in the transaction that holds the lock; commits."""
    # Some recipients refused, others accepted: resending would duplicate for the ones
    # who got it, so the email counts as sent and the refusal is recorded.
    note = f"refused by the SMTP server: {refused}" if refused else None
    where, params = key.where()
    attempts = conn.execute(
        f"""update ops.outbox set status = 'sent', sent_at = now(), message_id = %s, attempts = attempts + 1,
                last_error = %s, recipients = %s, subject_line = %s, attachments = %s
            where {where} returning attempts""",
        [envelope.message_id, note, envelope.recipients, envelope.subject, envelope.attachments, *params],
    ).fetchone()[0]
    conn.commit()
    if refused:
        log.warning("%s email: %s", key, note)
    return attempts


def send_once(
    conn,
    key: OutboxKey,
    prepare: Callable[[object], EmailMessage],
    *,
    smtp_conn_id: str = SMTP_CONN_ID,
) -> SendResult:
    """Send the email `prepare(conn)` builds, at most once for `key` (see the module docstring).

    conn: an open loader connection (autocommit off); the outbox commits on it (the
    pending row before the send, the 'sent' row after) and leaves it open."""
    try:
        done = _sent(conn, key)
        if done:  # the cheap path for reruns: no composing, no SMTP
            conn.commit()
            log.info("%s email already sent (%s)", key, done[2])
            return SendResult(key, "already_sent", tuple(done[0]), done[1], done[2], done[3])
        try:
            msg = prepare(conn)
        except NoRecipients as exc:
            attempts = _mark_failed(conn, key, [], exc.subject_line, str(exc))
            log.error("%s email: %s", key, exc)
            return SendResult(key, "no_contacts", (), exc.subject_line, None, attempts, str(exc))
        envelope = _Envelope.of(key, msg)
        row = _insert_and_lock(conn, key, envelope)
        if row[0] == "sent":  # a concurrent run sent it while this one waited
            conn.commit()
            return SendResult(key, "already_sent", tuple(row[2]), row[3], row[4], row[1])
        try:
            refused = send_message(
                msg,
                from_addr=msg["From"].addresses[0].addr_spec,
                to_addrs=envelope.recipients,
                smtp_conn_id=smtp_conn_id,
            )
        except Exception as exc:
            conn.rollback()  # release the lock; _mark_failed records the failure on its own
            error = describe_error(exc)
            attempts = _mark_failed(conn, key, envelope.recipients, envelope.subject, error)
            log.error("%s email to %s failed (attempt %s): %s", key, ", ".join(envelope.recipients), attempts, error)
            raise
        attempts = _mark_sent(conn, key, envelope, refused)
        log.info("%s email sent to %s", key, ", ".join(envelope.recipients))
        return SendResult(key, "sent", tuple(envelope.recipients), envelope.subject, envelope.message_id, attempts)
    except BaseException:
        conn.rollback()
        raise
