"""Emailing each council its monthly pack, at most once per council and month.

Through the send-once outbox (councilbench.mail.outbox, ops.outbox keyed by kind, council
and month): a rerun of the reports DAG sends nothing. Before it goes, the message is
checked: addressed to exactly that council's contacts (reference.council_contacts), no
other council's contact details anywhere in it, and every figure in the pack from an
accepted submission (the marts only hold accepted data; this asserts it against the
ledger rather than trusting it).
"""

from __future__ import annotations

import email.policy
import logging
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from councilbench.core.catalogue import Contact
from councilbench.mail import message, outbox
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

KIND = "monthly_pack"
POLICY = email.policy.default.clone(max_line_length=998, cte_type="7bit")
#: Statuses of a submission whose rows may reach the marts (superseded: a correction
#: replaced it later; its rows stopped counting then, but they were accepted).
ACCEPTED = ("loaded", "superseded")


class PackSendError(RuntimeError):
    """The pack could not be sent; ops.outbox says why."""


class UnsafePack(AssertionError):
    """The pack or its email would show something it must not (another council's contacts,
    data from a submission that was not accepted, the wrong recipients)."""


def message_id(council_code: str, month: str) -> str:
    return f"<pack-{council_code}-{month}.{KIND}@councilbench>"


def subject_line(pack: dict) -> str:
    """pack: the pack's summary (packs.Pack.summary())."""
    return f"How {pack['display_name']} compares: your {pack['month_label']} benchmarking pack"


def attachment_name(pack: dict, suffix: str) -> str:
    return f"{pack['short_name']}-{pack['month']}-how-{pack['short_name']}-compares.{suffix}"


def _greeting(contacts: list[Contact]) -> str:
    from councilbench.returns.email_render import greeting_line

    return greeting_line([c.name for c in contacts])


def compose(
    pack: dict,
    contacts: list[Contact],
    attachments: list[Path],
    *,
    sender: str | None = None,
    ops_email: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The pack email for this council's contacts only: an HTML and plain-text summary
    (pack: packs.Pack.summary()) and the pack attached (PDF and/or HTML)."""
    from councilbench.core import settings
    from councilbench.reports.render import render

    code = pack["council_code"]
    ops_email = ops_email or settings.ops_email()
    subject = subject_line(pack)
    names = [attachment_name(pack, Path(a).suffix.lstrip(".")) for a in attachments]

    text = [
        _greeting(contacts),
        "",
        f"Here is {pack['council_name']}'s benchmarking pack for {pack['month_label']}: how its services "
        "compare with its nearest neighbours and the West Midlands.",
        "",
    ]
    text += [f"- {line}" for line in pack["lines"]]
    text += [
        "",
        "The full pack is attached: " + ", ".join(names) + " (the HTML version works with screen readers).",
        f"Data as at: returns up to {pack['as_at']['latest_month_label']}; marts built {pack['as_at']['built_at']}.",
        "",
        f"Questions? Reply to this email or write to the platform team at {ops_email}.",
        "",
        "-- ",
        "councilbench, the West Midlands councils' benchmarking platform",
    ]
    html = render(
        "report_pack_email.html",
        p=pack,
        subject=subject,
        greeting=_greeting(contacts),
        lines=pack["lines"],
        attachments=names,
        ops_email=ops_email,
    )
    return message.council_email(
        council_code=code,
        contacts=contacts,
        what="pack email",
        text="\n".join(text) + "\n",
        html=html,
        attachments=[file_attachment(Path(path), name) for path, name in zip(attachments, names, strict=True)],
        subject=subject,
        message_id=message_id(code, pack["month"]),
        headers={"X-Councilbench-Council": code, "X-Councilbench-Kind": KIND, "X-Councilbench-Month": pack["month"]},
        sender=sender,
        reply_to=ops_email,
        now=now,
        policy=POLICY,
    )


def file_attachment(path: Path, name: str) -> message.Attachment:
    """A report file as an attachment: a PDF as bytes, an HTML page as text."""
    if path.suffix == ".pdf":
        return message.Attachment(path.read_bytes(), name, maintype="application", subtype="pdf")
    return message.Attachment(path.read_text(encoding="utf-8"), name, subtype="html")


# --- checks --------------------------------------------------------------------------------------


def check_accepted(conn, pack: dict) -> None:
    """Every submission behind the pack's figures was accepted (loaded, or loaded then
    superseded): raise UnsafePack naming any that was not, or that the ledger lacks."""
    ids = sorted(int(i) for i in pack["submission_ids"])
    if not ids:
        return
    rows = dict(
        conn.execute(
            "select submission_id, status from ops.submissions where submission_id = any(%s)", [ids]
        ).fetchall()
    )
    missing = [i for i in ids if i not in rows]
    bad = {i: s for i, s in rows.items() if s not in ACCEPTED}
    if missing or bad:
        raise UnsafePack(
            f"{pack['council_code']}'s pack shows figures from submissions that were not accepted: "
            f"{bad or ''} {('not in the ledger: ' + str(missing)) if missing else ''}".strip()
        )


def check_message(conn, pack: dict, msg: EmailMessage, contacts: list[Contact]) -> None:
    """Addressed to this council's contacts only, and no other council's contact details
    anywhere in the message (headers, body or attachments)."""
    code = pack["council_code"]
    addressed = sorted(a.addr_spec.lower() for a in msg["To"].addresses)
    expected = sorted(c.email.lower() for c in contacts)
    if addressed != expected or msg["Cc"] or msg["Bcc"]:
        raise UnsafePack(f"{code}'s pack email is addressed to {addressed}, expected {expected}")
    raw = msg.as_bytes().lower()
    for payload in (part.get_payload(decode=True) for part in msg.walk() if not part.is_multipart()):
        if payload:
            raw += b"\n" + payload.lower()
    others = conn.execute(
        "select distinct lower(trim(email)), lower(trim(contact_name)) from reference.council_contacts "
        "where gss_code <> %s and coalesce(trim(email), '') <> ''",
        [code],
    ).fetchall()
    leaked = sorted(e for e, _ in others if e.encode() in raw)
    if leaked:
        raise UnsafePack(f"{code}'s pack email carries other councils' contact details: {leaked}")


# --- sending ---------------------------------------------------------------------------------------


def already_sent(warehouse: Warehouse, council_code: str, month: str) -> bool:
    return outbox.already_sent(warehouse, outbox.OutboxKey(KIND, council_code, month))


def send_pack(
    warehouse: Warehouse,
    pack: dict,
    attachments: list[Path],
    *,
    smtp_conn_id: str = "smtp_default",
    sender: str | None = None,
    ops_email: str | None = None,
) -> outbox.SendResult:
    """Email the pack (its summary, packs.Pack.summary(), and its files) to its council's
    contacts, at most once per council and month (the outbox, ops.outbox)."""
    from councilbench.returns.notify import council_contacts

    code, month = pack["council_code"], pack["month"]

    def prepare(conn) -> EmailMessage:
        contacts = council_contacts(conn, code)
        if not contacts:
            raise outbox.NoRecipients(
                f"no contacts for {code} in reference.council_contacts: add them to the council_contacts seed",
                subject_line=subject_line(pack),
            )
        check_accepted(conn, pack)
        msg = compose(pack, contacts, attachments, sender=sender, ops_email=ops_email)
        check_message(conn, pack, msg, contacts)
        return msg

    with connect(warehouse, role="loader") as conn:
        return outbox.send_once(conn, outbox.OutboxKey(KIND, code, month), prepare, smtp_conn_id=smtp_conn_id)
