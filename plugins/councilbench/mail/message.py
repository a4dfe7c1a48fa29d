"""One builder for every email the platform sends a council: the envelope every such email
carries (who it is from, to, reply to, when, its Message-ID, the X-Councilbench-* headers
that say what it is about, and the RFC 3834 / Exchange headers that stop auto-replies),
its plain text with an HTML alternative, and its attachments.

The builder refuses a message to nobody, or to anyone who is not a contact of the council
the email is about: a council's email never reaches another council. Each kind of email
(spend and pay receipts and rejections, return emails, packs, pay reports) writes its own
words and chooses its recipients; this module only puts them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path

from councilbench.core import settings
from councilbench.core.catalogue import Contact

SENDER_NAME = "West Midlands benchmarking (councilbench)"
MESSAGE_ID_DOMAIN = "councilbench"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class NotItsContacts(ValueError):
    """An email to a council addressed to nobody, or to someone who is not its contact."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to the email: text (str) or bytes, with its MIME type."""

    content: str | bytes
    filename: str
    subtype: str = "csv"
    maintype: str = "text"  # used for bytes only: text content is always text/<subtype>


def check_recipients(council_code: str, contacts: Sequence[Contact], what: str) -> None:
    """Raise NotItsContacts unless there is a contact and every one is the council's own."""
    strangers = [c.email for c in contacts if c.council_code != council_code]
    if strangers:
        raise NotItsContacts(f"contacts of another council in {council_code}'s {what}: {strangers}")
    if not contacts:
        raise NotItsContacts(f"no contacts to send {council_code}'s {what} to")


def message_id(*parts: object) -> str:
    """A deterministic Message-ID from the parts (kind, submission, ...): a duplicate send is
    recognisable as the same email."""
    return f"<{'-'.join(str(p) for p in parts)}@{MESSAGE_ID_DOMAIN}>"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), undefined=StrictUndefined)


def render_html(template: str, **context) -> str:
    """An email template (councilbench/templates), autoescaped; a missing name is an error."""
    return _environment().get_template(template).render(**context)


def envelope(
    *,
    subject: str,
    to: Sequence[Address],
    message_id: str,
    headers: Mapping[str, str],
    sender: str | None = None,
    reply_to: str | None = None,
    now: datetime | None = None,
    policy: Policy = SMTP,
    suppress_auto_replies: bool = True,
) -> EmailMessage:
    """The headers of an email, no body yet. `headers` (X-Councilbench-* and the like) go
    after the Message-ID in the order given; sender and reply_to default to the settings."""
    msg = EmailMessage(policy=policy)
    msg["Subject"] = subject
    msg["From"] = Address(SENDER_NAME, addr_spec=sender or settings.mail_from())
    msg["To"] = list(to)
    msg["Reply-To"] = reply_to or settings.ops_email()
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name] = value
    # RFC 3834 and Exchange: no out-of-office replies or auto-forward loops.
    msg["Auto-Submitted"] = "auto-generated"
    if suppress_auto_replies:
        msg["X-Auto-Response-Suppress"] = "All"
    return msg


def council_email(
    *,
    council_code: str,
    contacts: Sequence[Contact],
    what: str,
    text: str,
    html: str,
    attachments: Sequence[Attachment] = (),
    **envelope_args,
) -> EmailMessage:
    """The email to these contacts of this council only (check_recipients; `what` names
    the email in its refusal): the envelope (subject, message_id, headers, ...), the plain
    text with its HTML alternative, then the attachments."""
    check_recipients(council_code, contacts, what)
    msg = envelope(to=[Address(c.name, addr_spec=c.email) for c in contacts], **envelope_args)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for a in attachments:
        if isinstance(a.content, bytes):
            msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
        else:
            msg.add_attachment(a.content, subtype=a.subtype, filename=a.filename)
    return msg


def recipients(contacts: Iterable[Contact]) -> list[Contact]:
    """The contacts with an address, primary first, then deputies, then the others (by
    name), each address once: one person listed twice gets one copy."""
    rank = {"primary": 0, "deputy": 1}
    seen, out = set(), []
    for c in sorted(contacts, key=lambda c: (rank.get(c.role, 2), c.name)):
        if c.email.strip() and c.email.lower() not in seen:
            seen.add(c.email.lower())
            out.append(c)
    return out
