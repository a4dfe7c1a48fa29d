"""Emailing a council about a pay deposit, once per file: a rejection (which rows, what was
wrong, what is accepted, how to fix, the failing rows attached as CSV) or a short receipt
(posts, incumbents and FTE loaded, roles covered, tidy-ups, warnings).

Everything is read from what the lifecycle recorded (ops.submissions, ops.check_results,
raw.council_pay_posts), never validated again, and every email goes through the
send-once outbox (mail.outbox): a rerun or an Airflow retry sends nothing twice; a
corrected deposit is a new submission and gets its own email.

Confidentiality: the email goes to the depositing council's own contacts in the member
registry and nobody else (compose refuses any other address), and it speaks only of that
council's own deposit. Its messages may quote the council's own figures (a salary
outside its SCP range, say); never another council's, which no check ever reads. A
rejection for personal data quotes no personal value: the check's message and failing
rows were written without them (personal.py).
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
from councilbench.pay.kind import SOURCE_KIND
from councilbench.warehouse.connection import Warehouse, connect


@dataclass(frozen=True)
class PayFileRecord:
    """What the ledger says about one deposit, and what it loaded."""

    submission_id: int
    council: catalogue.Council
    pay_year: str
    status: str
    outcome: str
    original_name: str | None
    source_uri: str
    checks: list[ledger.RecordedCheck]
    tidy_ups: list[str]
    posts: int = 0
    incumbents: int = 0
    fte: float = 0.0
    roles: int = 0

    @property
    def kind(self) -> str:
        return "rejection" if self.status == "rejected" else "receipt"

    @property
    def file_name(self) -> str:
        return self.original_name or self.source_uri.rsplit("/", 1)[-1]

    @property
    def personal_data(self) -> bool:
        return any(c.name == "personal_data" and c.outcome == "fail" for c in self.checks)


def load_record(conn, submission_id: int) -> PayFileRecord:
    """The deposit's ledger row, its checks and (when loaded) what it loaded."""
    row = conn.execute(
        """select source_kind, subject, period, status, outcome, original_name, source_uri,
                  coalesce(normalisations, '[]'::jsonb)
           from ops.submissions where submission_id = %s""",
        [submission_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"no submission {submission_id} in ops.submissions")
    source_kind, subject, pay_year, status, outcome, original_name, source_uri, tidy_ups = row
    if source_kind != SOURCE_KIND:
        raise ValueError(f"submission {submission_id} is a {source_kind}, not a pay deposit")
    checks = ledger.recorded_checks(conn, submission_id)
    posts, incumbents, fte, roles = conn.execute(
        """select count(*), coalesce(sum(headcount), 0), coalesce(sum(fte * headcount), 0)::float8,
                  count(distinct role_id)
           from raw.council_pay_posts where submission_id = %s""",
        [submission_id],
    ).fetchone()
    council = catalogue.councils()[subject]
    return PayFileRecord(
        submission_id, council, pay_year, status, outcome, original_name, source_uri, checks, list(tidy_ups),
        posts, incumbents, fte, roles,
    )  # fmt: skip


# --- the words -----------------------------------------------------------------------------


def subject_line(record: PayFileRecord) -> str:
    if record.kind == "rejection":
        return f"Pay deposit for {record.pay_year} not accepted: {record.council.name} (what to fix)"
    return f"Pay deposit for {record.pay_year} received: {record.council.name}, {record.posts:,} posts loaded"


def _context(record: PayFileRecord, contacts: list[catalogue.Contact]) -> dict:
    first_names = sorted({c.name.split()[0] for c in contacts if c.name})
    return {
        "record": record,
        "greeting": f"Dear {' and '.join(first_names) if first_names else 'colleague'},",
        "failed": [c for c in record.checks if c.outcome == "fail"],
        "warned": [c for c in record.checks if c.outcome == "warn"],
        "attachment_name": f"{record.council.short_name}-pay-{record.pay_year}-rows-to-fix.csv",
        "ops_email": settings.ops_email(),
    }


def plain_text(ctx: dict) -> str:
    record = ctx["record"]
    lines = [ctx["greeting"], ""]
    if record.kind == "rejection":
        lines += [
            f"Your pay deposit for {record.pay_year} ({record.file_name}, from {record.source_uri}) was REJECTED: "
            "nothing from it was loaded. What was wrong, and what is accepted:",
            "",
        ]
        lines += [f"- {c.message}" for c in ctx["failed"]]
        if record.personal_data:
            lines += [
                "",
                "Personal data: the file is kept only where the platform keeps every file it receives, out of "
                "the warehouse; nothing from it was loaded, and this email quotes none of its values. Please "
                "deposit a file without it.",
            ]
        if any(c.failing_rows for c in ctx["failed"]):
            lines += ["", f"The rows to fix are attached ({ctx['attachment_name']}): row, column, found, accepted."]
        lines += [
            "",
            "How to fix it: correct the file and deposit it again at the same address. The next run picks it "
            "up, checks it again and loads it if it passes; you will get a receipt then.",
        ]
    else:
        lines += [
            f"Thank you: your pay deposit for {record.pay_year} ({record.file_name}) was accepted.",
            "",
            "What we loaded:",
            f"- {record.posts:,} posts, {record.incumbents:,} incumbents, {record.fte:,.1f} FTE",
            f"- {record.roles:,} catalogue roles",
        ]
        if record.tidy_ups:
            lines += ["", "What we tidied up on the way (no need to change anything):"]
            lines += [f"- {t}" for t in record.tidy_ups]
        if ctx["warned"]:
            lines += ["", "Worth a look (loaded as it is):"]
            lines += [f"- {c.message}" for c in ctx["warned"]]
        lines += [
            "",
            "Your posts are seen by your council alone; other councils see only statistics that cannot reveal them.",
        ]
    lines += ["", f"Questions: reply to this email or write to {ctx['ops_email']}.", "", "West Midlands benchmarking"]
    return "\n".join(lines) + "\n"


def compose(record: PayFileRecord, contacts: list[catalogue.Contact], *, now: datetime | None = None) -> EmailMessage:
    """The email about this deposit, to these contacts (all of the deposit's council) only."""
    ctx = _context(record, contacts)
    attachments = []
    if record.kind == "rejection" and any(c.failing_rows for c in ctx["failed"]):
        attachments.append(message.Attachment(failing_rows_csv(record.checks), ctx["attachment_name"]))
    return message.council_email(
        council_code=record.council.code,
        contacts=contacts,
        what="pay email",
        subject=subject_line(record),
        message_id=message.message_id("pay", record.kind, record.submission_id),
        headers={
            "X-Councilbench-Submission": str(record.submission_id),
            "X-Councilbench-Kind": record.kind,
            "X-Councilbench-Council": record.council.code,
            "X-Councilbench-Source": SOURCE_KIND,
        },
        text=plain_text(ctx),
        html=message.render_html(f"email_pay_{record.kind}.html", **ctx),
        attachments=attachments,
        reply_to=ctx["ops_email"],
        now=now,
    )


# --- sending -------------------------------------------------------------------------------


def notify_file(warehouse: Warehouse, submission_id: int, *, smtp_conn_id: str = SMTP_CONN_ID) -> dict:
    """Email the deposit's council about it, at most once (outbox.send_once): what happened."""
    with connect(warehouse, role="loader") as conn:
        record = load_record(conn, submission_id)
        if record.status not in ("rejected", "loaded", "superseded"):
            raise ValueError(f"pay submission {submission_id} is {record.status!r}: not decided yet")
        key = outbox.OutboxKey(record.kind, record.council.code, record.pay_year, submission_id)

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
    """One email per deposit a run decided, at most once each (mail.outbox.email_decided_files)."""
    return outbox.email_decided_files(warehouse, outcomes, notify_file, "pay")
