"""Emailing a council about a spend file it published, once per file: a rejection (which
rows, what was wrong, what is accepted, how to fix, the failing rows attached as CSV) for
a file that failed validation, a short receipt (lines loaded, redacted lines, tidy-ups)
for one that was accepted and loaded.

Everything here is read from what the lifecycle recorded (ops.submissions,
ops.check_results, raw.council_spend_lines), never validated again, and every email goes
through the send-once outbox (mail.outbox): a rerun or an Airflow retry finds it 'sent'
and sends nothing. The outbox key is (kind, council, period, submission), so a corrected
file is a new submission and gets its own email. Addressed to the council's contacts in
the member registry and nobody else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from councilbench.core import catalogue, settings
from councilbench.ingest import ledger
from councilbench.ingest.checks import failing_rows_csv
from councilbench.ingest.kind import Outcome
from councilbench.mail import message, outbox
from councilbench.mail.smtp import SMTP_CONN_ID
from councilbench.spend.checks import period_label
from councilbench.spend.kind import SOURCE_KIND
from councilbench.warehouse.connection import Warehouse, connect


@dataclass(frozen=True)
class SpendFileRecord:
    """What the ledger says about one spend file, and what it loaded."""

    submission_id: int
    council: catalogue.Council
    period: str
    status: str
    outcome: str
    original_name: str | None
    source_uri: str
    checks: list[ledger.RecordedCheck]
    tidy_ups: list[str]
    lines_loaded: int = 0
    redacted_lines: int = 0
    net_total: float = 0.0

    @property
    def kind(self) -> str:
        return "rejection" if self.status == "rejected" else "receipt"

    @property
    def file_name(self) -> str:
        return self.original_name or self.source_uri.rsplit("/", 1)[-1]


def load_record(conn, submission_id: int) -> SpendFileRecord:
    """The file's ledger row, its checks and (when loaded) its line counts."""
    row = conn.execute(
        """select source_kind, subject, period, status, outcome, original_name, source_uri,
                  coalesce(normalisations, '[]'::jsonb)
           from ops.submissions where submission_id = %s""",
        [submission_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"no submission {submission_id} in ops.submissions")
    source_kind, subject, period, status, outcome, original_name, source_uri, tidy_ups = row
    if source_kind != SOURCE_KIND:
        raise ValueError(f"submission {submission_id} is a {source_kind}, not a spend file")
    checks = ledger.recorded_checks(conn, submission_id)
    lines, redacted, total = conn.execute(
        """select count(*), count(*) filter (where redacted), coalesce(sum(net_amount), 0)::float8
           from raw.council_spend_lines where submission_id = %s""",
        [submission_id],
    ).fetchone()
    council = catalogue.councils()[subject]
    return SpendFileRecord(
        submission_id, council, period, status, outcome, original_name, source_uri, checks, list(tidy_ups),
        lines, redacted, total,
    )  # fmt: skip


# --- the words -----------------------------------------------------------------------------


def subject_line(record: SpendFileRecord) -> str:
    label = period_label(record.period)
    if record.kind == "rejection":
        return f"Spend file for {label} not accepted: {record.council.name} (what to fix)"
    return f"Spend file for {label} received: {record.council.name}, {record.lines_loaded:,} payment lines loaded"


def _context(record: SpendFileRecord, contacts: list[catalogue.Contact]) -> dict:
    first_names = sorted({c.name.split()[0] for c in contacts if c.name})
    return {
        "record": record,
        "label": period_label(record.period),
        "greeting": f"Dear {' and '.join(first_names) if first_names else 'colleague'},",
        "failed": [c for c in record.checks if c.outcome == "fail"],
        "warned": [c for c in record.checks if c.outcome == "warn"],
        "attachment_name": f"{record.council.short_name}-spend-{record.period}-rows-to-fix.csv",
        "ops_email": settings.ops_email(),
    }


def plain_text(ctx: dict) -> str:
    record, label = ctx["record"], ctx["label"]
    lines = [ctx["greeting"], ""]
    if record.kind == "rejection":
        lines += [
            f"Your spend file for {label} ({record.file_name}, from {record.source_uri}) was REJECTED: "
            "nothing from it was loaded. What was wrong, and what is accepted:",
            "",
        ]
        lines += [f"- {c.message}" for c in ctx["failed"]]
        if any(c.failing_rows for c in ctx["failed"]):
            lines += ["", f"The rows to fix are attached ({ctx['attachment_name']}): row, column, found, accepted."]
        lines += [
            "",
            "How to fix it: correct the file and publish it again at the same address. The next run picks it "
            "up, checks it again and loads it if it passes; you will get a receipt then.",
        ]
    else:
        lines += [
            f"Thank you: your spend file for {label} ({record.file_name}) was accepted.",
            "",
            "What we loaded:",
            f"- {record.lines_loaded:,} payment lines, £{record.net_total:,.2f} net",
            f"- {record.redacted_lines:,} lines with a redacted beneficiary (kept, never matched to a supplier)",
        ]
        if record.tidy_ups:
            lines += ["", "What we tidied up on the way (no need to change anything):"]
            lines += [f"- {t}" for t in record.tidy_ups]
        if ctx["warned"]:
            lines += ["", "Worth a look before the next file (loaded as they are):"]
            lines += [f"- {c.message}" for c in ctx["warned"]]
    lines += ["", f"Questions: reply to this email or write to {ctx['ops_email']}.", "", "West Midlands benchmarking"]
    return "\n".join(lines) + "\n"


def compose(record: SpendFileRecord, contacts: list[catalogue.Contact], *, now: datetime | None = None) -> EmailMessage:
    """The email about this file, to these contacts (all of the file's council) only."""
    ctx = _context(record, contacts)
    attachments = []
    if record.kind == "rejection" and any(c.failing_rows for c in ctx["failed"]):
        attachments.append(message.Attachment(failing_rows_csv(record.checks), ctx["attachment_name"]))
    return message.council_email(
        council_code=record.council.code,
        contacts=contacts,
        what="spend email",
        subject=subject_line(record),
        message_id=message.message_id("spend", record.kind, record.submission_id),
        headers={
            "X-Councilbench-Submission": str(record.submission_id),
            "X-Councilbench-Kind": record.kind,
            "X-Councilbench-Council": record.council.code,
            "X-Councilbench-Source": SOURCE_KIND,
        },
        text=plain_text(ctx),
        html=message.render_html(f"email_spend_{record.kind}.html", **ctx),
        attachments=attachments,
        reply_to=ctx["ops_email"],
        now=now,
    )


# --- sending -------------------------------------------------------------------------------


def notify_file(warehouse: Warehouse, submission_id: int, *, smtp_conn_id: str = SMTP_CONN_ID) -> dict:
    """Email the file's council about it, at most once (outbox.send_once): what happened."""
    with connect(warehouse, role="loader") as conn:
        record = load_record(conn, submission_id)
        if record.status not in ("rejected", "loaded", "superseded"):
            raise ValueError(f"spend submission {submission_id} is {record.status!r}: not decided yet")
        key = outbox.OutboxKey(record.kind, record.council.code, record.period, submission_id)

        def prepare(_conn) -> EmailMessage:
            contacts = message.recipients(catalogue.contacts().get(record.council.code, []))
            if not contacts:
                raise outbox.NoRecipients(
                    f"no contacts for {record.council.name} in the council_contacts seed",
                    subject_line=subject_line(record),
                )
            return compose(record, contacts)

        return outbox.send_once(conn, key, prepare, smtp_conn_id=smtp_conn_id).as_dict()


def send_emails(warehouse: Warehouse, outcomes: list[Outcome]) -> list[dict]:
    """One email per file a run decided, at most once each (mail.outbox.email_decided_files)."""
    return outbox.email_decided_files(warehouse, outcomes, notify_file, "spend")
