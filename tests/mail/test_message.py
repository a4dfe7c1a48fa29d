"""The one builder of council emails (councilbench.mail.message): its envelope, bodies and
attachments, and its refusal to address anyone but the council's own contacts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from councilbench.core import settings
from councilbench.core.catalogue import Contact
from councilbench.mail import message

DUDLEY, COVENTRY = "E08000027", "E08000026"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _email(contacts, **overrides):
    args = {
        "council_code": DUDLEY,
        "contacts": contacts,
        "what": "test email",
        "subject": "Your file",
        "message_id": message.message_id("spend", "receipt", 42),
        "headers": {"X-Councilbench-Kind": "receipt", "X-Councilbench-Council": DUDLEY},
        "text": "Hello\n",
        "html": "<p>Hello</p>",
        "now": NOW,
    }
    return message.council_email(**(args | overrides))


def test_a_council_email_carries_the_envelope_bodies_and_attachments():
    contacts = [Contact(DUDLEY, "Ann Lee", "ann@dudley.example", "primary")]
    msg = _email(
        contacts,
        attachments=[
            message.Attachment("check,row\r\nx,1\r\n", "rows.csv"),
            message.Attachment(b"%PDF-1.4", "pack.pdf", maintype="application", subtype="pdf"),
        ],
    )
    assert msg["Subject"] == "Your file"
    assert msg["From"].addresses[0].addr_spec == settings.mail_from()
    assert msg["From"].addresses[0].display_name == message.SENDER_NAME
    assert [a.addr_spec for a in msg["To"].addresses] == ["ann@dudley.example"]
    assert msg["Reply-To"] == settings.ops_email()
    assert msg["Message-ID"] == "<spend-receipt-42@councilbench>"
    assert msg["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"
    assert (msg["X-Councilbench-Kind"], msg["X-Councilbench-Council"]) == ("receipt", DUDLEY)
    assert (msg["Auto-Submitted"], msg["X-Auto-Response-Suppress"]) == ("auto-generated", "All")
    assert msg.get_body(("plain",)).get_content() == "Hello\n"
    assert msg.get_body(("html",)).get_content() == "<p>Hello</p>\n"
    files = {a.get_filename(): (a.get_content_type(), a.get_content()) for a in msg.iter_attachments()}
    assert files == {"rows.csv": ("text/csv", "check,row\nx,1\n"), "pack.pdf": ("application/pdf", b"%PDF-1.4")}


def test_the_headers_go_in_the_order_given_and_auto_reply_suppression_can_be_left_out():
    msg = _email(
        [Contact(DUDLEY, "Ann Lee", "ann@dudley.example", "primary")],
        headers={"X-B": "2", "X-A": "1"},
        suppress_auto_replies=False,
    )
    names = list(msg.keys())
    assert names.index("X-B") < names.index("X-A") < names.index("Auto-Submitted")
    assert msg["X-Auto-Response-Suppress"] is None


def test_an_email_to_another_councils_contact_or_to_nobody_is_refused():
    ours, theirs = (
        Contact(DUDLEY, "Ann Lee", "ann@dudley.example", "primary"),
        Contact(COVENTRY, "Bo Ray", "bo@coventry.example", "primary"),
    )
    with pytest.raises(message.NotItsContacts, match=r"another council in E08000027's test email.*bo@coventry"):
        _email([ours, theirs])
    with pytest.raises(message.NotItsContacts, match="no contacts to send E08000027's test email to"):
        _email([])


def test_recipients_are_primary_first_each_address_once_and_never_blank():
    listed = [
        Contact(DUDLEY, "Zed Other", "zed@dudley.example", "analyst"),
        Contact(DUDLEY, "Deb Deputy", "deb@dudley.example", "deputy"),
        Contact(DUDLEY, "No Address", "  ", "primary"),
        Contact(DUDLEY, "Ann Lee", "ann@dudley.example", "primary"),
        Contact(DUDLEY, "Ann Lee again", "ANN@dudley.example", "analyst"),
    ]
    assert [c.name for c in message.recipients(listed)] == ["Ann Lee", "Deb Deputy", "Zed Other"]
