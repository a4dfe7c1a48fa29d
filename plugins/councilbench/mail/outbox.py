"""The send-once outbox for every email about a council's month: the monthly pack, the
return reminder before the due date, the chaser after it, and the platform team's
summary of the month. One row per (council, month, kind) in ops.report_sends; the
summary's council is the region (REGION_CODE), since it is about all of them.

How a send is made exactly-once-ish (the same steps for every kind):

1. a 'sent' row already there -> nothing to do (a rerun or a retry is a no-op);
2. `prepare(conn)` builds the message and checks it (right recipients only; a kind's
   own checks); it raises NoRecipients when there is nobody to send to, which is
   recorded as 'failed' with the reason and returned as status no_contacts;
3. a 'pending' row is inserted and committed, then locked (FOR UPDATE): a concurrent run
   waits, then finds 'sent';
4. the email goes out through Airflow's SMTP provider (SmtpHook on smtp_default) and the
   row becomes 'sent' with the Message-ID in the transaction that held the lock; an SMTP
   failure marks it 'failed' (attempts + 1, last_error) and re-raises so Airflow retries.

The one gap: a crash after the SMTP server accepted the message but before the commit
sends it again on the retry; the Message-ID is derived from the key, so the duplicate is
recognisable as the same email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from councilbench.mail.smtp import describe_error, send_message
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

#: The key of emails about the whole region (the platform team's month summary).
REGION_CODE = "E12000005"
KINDS = ("monthly_pack", "return_reminder", "return_chaser", "month_summary")
LOCK_TIMEOUT = "120s"
MAX_ERROR_LENGTH = 2000


class NoRecipients(RuntimeError):
    """There is nobody to send this email to (e.g. no contacts in the registry)."""


@dataclass(frozen=True)
class OutboxKey:
    council_code: str
    month: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown email kind {self.kind!r} (one of {', '.join(KINDS)})")

    def message_id(self) -> str:
        return f"<{self.kind.replace('_', '-')}-{self.council_code}-{self.month}@councilbench>"


@dataclass
class SendResult:
    council_code: str
    month: str
    kind: str
    status: str  # sent | already_sent | no_contacts
    recipients: tuple[str, ...] = field(default_factory=tuple)
    subject: str | None = None
    message_id: str | None = None
    attempts: int = 0
    error: str | None = None

    def as_dict(self) -> dict:
        return {
            "council_code": self.council_code,
            "month": self.month,
            "kind": self.kind,
            "status": self.status,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "message_id": self.message_id,
            "attempts": self.attempts,
            "error": self.error,
        }


def _where(key: OutboxKey) -> list[str]:
    return [key.council_code, key.month, key.kind]


def sent_row(conn, key: OutboxKey):
    return conn.execute(
        """select recipients, subject_line, message_id, attempts from ops.report_sends
                           where council_code = %s and report_month = %s and kind = %s and status = 'sent'""",
        _where(key),
    ).fetchone()


def already_sent(warehouse: Warehouse, key: OutboxKey) -> bool:
    with connect(warehouse, role="loader") as conn:
        return sent_row(conn, key) is not None


def _mark_failed(conn, key: OutboxKey, recipients: list[str], subject: str, error: str) -> int:
    """Record a failure (creating the row if needed); never downgrades a 'sent' row."""
    row = conn.execute(
        """insert into ops.report_sends (council_code, report_month, kind, recipients, subject_line, status,
                                         attempts, last_error)
           values (%s, %s, %s, %s, %s, 'failed', 1, %s)
           on conflict (council_code, report_month, kind) do update set
               status = 'failed', attempts = ops.report_sends.attempts + 1, last_error = excluded.last_error,
               recipients = excluded.recipients, subject_line = excluded.subject_line
           where ops.report_sends.status <> 'sent'
           returning attempts""",
        [*_where(key), recipients, subject, error[:MAX_ERROR_LENGTH]],
    ).fetchone()
    conn.commit()
    return row[0] if row else 0


def _recipients(msg: EmailMessage) -> list[str]:
    if msg["Cc"] or msg["Bcc"]:
        raise AssertionError(f"{msg['Subject']!r} has Cc/Bcc: every email goes to its To list only")
    return [a.addr_spec for a in msg["To"].addresses]


def send_once(
    warehouse: Warehouse,
    key: OutboxKey,
    subject: str,
    prepare: Callable[[object], EmailMessage],
    *,
    smtp_conn_id: str = "smtp_default",
) -> SendResult:
    """Send the email `prepare(conn)` builds, at most once for `key` (see the module docstring)."""
    conn = connect(warehouse, role="loader")
    try:
        done = sent_row(conn, key)
        if done:
            conn.commit()
            return SendResult(
                key.council_code, key.month, key.kind, "already_sent", tuple(done[0]), done[1], done[2], done[3]
            )
        try:
            msg = prepare(conn)
        except NoRecipients as exc:
            attempts = _mark_failed(conn, key, [], subject, str(exc))
            log.error("%s %s %s: %s", key.kind, key.council_code, key.month, exc)
            return SendResult(
                key.council_code, key.month, key.kind, "no_contacts", (), subject, None, attempts, str(exc)
            )
        recipients = _recipients(msg)
        names = [p.get_filename() for p in msg.iter_attachments()]
        conn.execute(
            """insert into ops.report_sends (council_code, report_month, kind, recipients, subject_line,
                                                      attachments, status)
                        values (%s, %s, %s, %s, %s, %s, 'pending')
                        on conflict (council_code, report_month, kind) do nothing""",
            [*_where(key), recipients, subject, names],
        )
        conn.commit()
        conn.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
        row = conn.execute(
            """select status, attempts, recipients, subject_line, message_id from ops.report_sends
                              where council_code = %s and report_month = %s and kind = %s for update""",
            _where(key),
        ).fetchone()
        if row[0] == "sent":
            conn.commit()
            return SendResult(
                key.council_code, key.month, key.kind, "already_sent", tuple(row[2]), row[3], row[4], row[1]
            )
        try:
            refused = send_message(
                msg, from_addr=msg["From"].addresses[0].addr_spec, to_addrs=recipients, smtp_conn_id=smtp_conn_id
            )
        except Exception as exc:
            conn.rollback()  # release the lock; _mark_failed records the failure on its own
            attempts = _mark_failed(conn, key, recipients, subject, describe_error(exc))
            log.error(
                "%s for %s %s to %s failed (attempt %s): %s",
                key.kind,
                key.council_code,
                key.month,
                ", ".join(recipients),
                attempts,
                describe_error(exc),
            )
            raise
        # Some recipients refused, others accepted: resending would duplicate for the
        # ones who got it, so the email counts as sent and the refusal is recorded.
        note = f"refused by the SMTP server: {refused}" if refused else None
        attempts = conn.execute(
            """update ops.report_sends set status = 'sent', sent_at = now(), message_id = %s, attempts = attempts + 1,
                   last_error = %s, recipients = %s, subject_line = %s, attachments = %s
               where council_code = %s and report_month = %s and kind = %s returning attempts""",
            [msg["Message-ID"], note, recipients, subject, names, *_where(key)],
        ).fetchone()[0]
        conn.commit()
        log.info("%s for %s %s sent to %s", key.kind, key.council_code, key.month, ", ".join(recipients))
        return SendResult(
            key.council_code, key.month, key.kind, "sent", tuple(recipients), subject, msg["Message-ID"], attempts
        )
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()
