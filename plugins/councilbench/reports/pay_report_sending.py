"""Emailing a council its pay report, on request, to its own contacts only.

Through the one send-once outbox (councilbench.mail.outbox): the key is (pay_report, the
council, '<pay year>:<selection>'), the selection being the hash of the comparison group
and the roles (pay_report.selection_hash), so the same request is sent once however often
it is made; another group or other roles are another email. Before it goes, the message
is checked as the monthly packs are (reports.sending): addressed to exactly the council's
contacts (reference.council_contacts, read by the loader: a council's role cannot read
it), no other council's contact details in it, and the deposits behind its figures
accepted. The CSV is attached, with the PDF (or, without one, the HTML).
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from councilbench.core import settings
from councilbench.core.catalogue import Contact
from councilbench.mail import message, outbox
from councilbench.mail.smtp import SMTP_CONN_ID
from councilbench.reports import sending
from councilbench.reports.pay_report import PayReport, csv_text
from councilbench.reports.render import render
from councilbench.returns.email_render import greeting_line
from councilbench.warehouse.connection import Warehouse, connect

KIND = "pay_report"


def outbox_key(report: PayReport) -> outbox.OutboxKey:
    return outbox.OutboxKey(KIND, report.data.council.code, f"{report.data.pay_year}:{report.selection}")


def subject_line(report: PayReport) -> str:
    return f"Your pay benchmarks {report.data.pay_year}: {report.display_name} against {report.data.group.label}"


def attachment_names(report: PayReport, files: dict) -> list[tuple[Path | None, str]]:
    """(file, name) of each attachment: the CSV (always, from the report), then the PDF or the HTML."""
    stem = report.file_stem
    out: list[tuple[Path | None, str]] = [(None, f"{stem}.csv")]
    if files.get("pdf"):
        out.append((Path(files["pdf"]), f"{stem}.pdf"))
    elif files.get("html"):
        out.append((Path(files["html"]), f"{stem}.html"))
    return out


def plain_text(report: PayReport, greeting: str, names: list[str]) -> str:
    lines = [
        greeting,
        "",
        f"Here is the pay report you asked for: {report.title}.",
        "",
        *(f"- {f}" for f in report.findings),
    ]
    if report.suppressed:
        lines += ["", "Statistics suppressed, and why:"]
        lines += [f"- {r.role_name}: {r.reason}" for r in report.suppressed]
    lines += [
        "",
        "Attached: " + ", ".join(names) + " (the CSV holds every figure of the report).",
        f"This report shows {report.data.council.name}'s own pay: please keep it within the council.",
        "",
        f"Questions? Reply to this email or write to the platform team at {settings.ops_email()}.",
        "",
        "-- ",
        "councilbench, the West Midlands councils' benchmarking platform",
    ]
    return "\n".join(lines) + "\n"


def compose(report: PayReport, files: dict, contacts: list[Contact], *, now: datetime | None = None) -> EmailMessage:
    """The report's email to these contacts (all of the report's council) only."""
    code = report.data.council.code
    greeting = greeting_line([c.name for c in contacts])
    attachments = attachment_names(report, files)
    names = [name for _, name in attachments]
    html = render(
        "email_pay_report.html",
        r=report,
        subject=subject_line(report),
        greeting=greeting,
        attachments=names,
        ops_email=settings.ops_email(),
    )
    return message.council_email(
        council_code=code,
        contacts=contacts,
        what="pay report",
        text=plain_text(report, greeting, names),
        html=html,
        attachments=[_attachment(report, path, name) for path, name in attachments],
        subject=subject_line(report),
        message_id=message.message_id("pay-report", code, outbox_key(report).period.replace(":", "-")),
        headers={"X-Councilbench-Kind": KIND, "X-Councilbench-Council": code},
        now=now,
        policy=sending.POLICY,
        suppress_auto_replies=False,
    )


def _attachment(report: PayReport, path: Path | None, name: str) -> message.Attachment:
    """The CSV (no file: written from the report), else the PDF or the HTML file."""
    if path is None:
        return message.Attachment(csv_text(report).encode("utf-8"), name)
    return sending.file_attachment(path, name)


def send_report(
    warehouse: Warehouse, report: PayReport, files: dict, *, smtp_conn_id: str = SMTP_CONN_ID
) -> outbox.SendResult:
    """Email the report to its council's contacts, at most once per council, pay year and
    selection (the outbox)."""
    from councilbench.returns.notify import council_contacts

    code = report.data.council.code
    checked = {"council_code": code, "submission_ids": report.data.submission_ids}

    def prepare(conn) -> EmailMessage:
        contacts = council_contacts(conn, code)
        if not contacts:
            raise outbox.NoRecipients(
                f"no contacts for {code} in reference.council_contacts: add them to the council_contacts seed",
                subject_line=subject_line(report),
            )
        sending.check_accepted(conn, checked)
        msg = compose(report, files, contacts)
        sending.check_message(conn, checked, msg, contacts)
        return msg

    with connect(warehouse, role="loader") as conn:
        return outbox.send_once(conn, outbox_key(report), prepare, smtp_conn_id=smtp_conn_id)
