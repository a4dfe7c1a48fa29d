"""Emailing a council about its validated return, at most once per submission and kind:
a rejection for a file that failed, a receipt for a file accepted and loaded.

Called from an Airflow task after the validation results are committed to
ops.check_results, so nothing here can lose them: this module only reads the ledger,
the council's contacts and (for a receipt) the rows loaded, and sends through the
send-once outbox (councilbench.mail.outbox), which alone writes ops.outbox.

What the outbox guarantees (its docstring has the steps): a rerun or an Airflow retry
finds the email 'sent' and sends nothing; a second run at the same time waits for the
first, then finds it sent; an SMTP failure is recorded as 'failed' (attempts + 1,
last_error) and re-raised, so Airflow retries the task and its failure notifier tells
the platform team. The one gap: if the process dies after the SMTP server accepted the
message but before the 'sent' commit, a retry sends it again; the Message-ID is derived
from submission and kind, so the duplicate is recognisable as the same email.

What this module checks before anything goes: the report is the submission's own (same
council and month, no outcome the ledger contradicts), a receipt's rows are loaded, and
the email is addressed to that council's contacts only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from councilbench.core.catalogue import Contact, Council
from councilbench.mail import message, outbox
from councilbench.mail.smtp import SMTP_CONN_ID
from councilbench.returns.contract import ValidationReport
from councilbench.returns.email_render import (
    LoadSummary,
    SubmissionRef,
    compose,
    subject_line,
)
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)


class NotifyError(RuntimeError):
    """The email could not be sent; ops.outbox says why (status 'failed')."""


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
    pack_sent_at = outbox.sent_at(conn, outbox.OutboxKey("monthly_pack", council_code, period))
    return LoadSummary(
        rows,
        actual,
        estimates,
        not_available,
        replaces=_ref(*replaced) if replaced else None,
        pack_sent_at=pack_sent_at,
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
    return message.recipients(contacts)  # one person listed twice gets one copy


# --- sending -------------------------------------------------------------------------------


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
    yet (pending or failed in the outbox)."""
    return outbox.still_owed(conn, kind, submission_id)


def _prepare(conn, key: outbox.OutboxKey, report: ValidationReport, submission: SubmissionRef, **compose_args):
    """The outbox's `prepare` for this submission's email: the council, its contacts (this
    council's only) and, for a receipt, what was loaded."""
    kind, council_code = key.kind, key.subject
    council = council_from_registry(conn, council_code)
    contacts = council_contacts(conn, council_code)
    loaded = load_summary(conn, key.submission_id, council_code, key.period) if kind == "receipt" else None
    if not contacts:
        raise outbox.NoRecipients(
            f"no contacts for {council.name} ({council_code}) in reference.council_contacts: "
            f"add them to the council_contacts seed and rerun",
            subject_line=subject_line(kind, report, council, loaded),
        )
    msg = compose(
        kind, report, council=council, contacts=contacts, submission=submission, loaded=loaded, **compose_args
    )
    addressed = sorted(a.addr_spec.lower() for a in msg["To"].addresses)
    expected = sorted(c.email.lower() for c in contacts)
    if addressed != expected or msg["Cc"] or msg["Bcc"]:
        raise AssertionError(f"email to {council_code} is addressed to {addressed}, expected {expected}")
    return msg


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
        key = outbox.OutboxKey(kind, council_code, period, submission_id)
        result = outbox.send_once(
            conn,
            key,
            lambda conn: _prepare(conn, key, report, submission, sender=sender, ops_email=ops_email, due=due),
            smtp_conn_id=smtp_conn_id,
        )
    finally:
        conn.close()
    if result.status == "no_contacts":
        raise NoContactsError(result.error)
    return NotifyResult(
        submission_id, kind, result.status, result.recipients, result.subject, result.message_id, result.attempts
    )


__all__ = [
    "NoContactsError",
    "NotifyError",
    "NotifyResult",
    "council_contacts",
    "council_from_registry",
    "load_summary",
    "notification_kind",
    "notify_submission",
    "still_owed",
]
