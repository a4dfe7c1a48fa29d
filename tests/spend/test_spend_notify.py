"""Spend emails through the outbox to a real SMTP server (aiosmtpd): a rejected file's
council is told which rows, what was wrong, what is accepted and how to fix, with the
failing rows as CSV; an accepted file gets a short receipt; a rerun sends nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.spend import pipeline
from councilbench.warehouse.connection import connect

SCALE = 0.01
PERIOD = "2025-09"
COUNCILS = ["sandwell", "solihull"]  # sandwell's file has lines dated outside the month


def code(name: str) -> str:
    return catalogue.find_council(name).code


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture(scope="module")
def run(reference_warehouse, returns_server, mail_catcher):
    folder = returns_server.folder / "spend-notify"
    url = f"{returns_server.url}/spend-notify"
    sample = sample_spend.write(folder, [PERIOD], COUNCILS, faults={"sandwell": ["dates_outside_period"]}, scale=SCALE)
    mail_catcher.clear()
    summary, outcomes = pipeline.run_period(reference_warehouse, PERIOD, COUNCILS, spend_base_url=url, notify=True)
    messages = {m["X-Councilbench-Council"]: m for m in mail_catcher.messages}
    return sample, summary, {catalogue.councils()[o.subject].short_name: o for o in outcomes}, messages, url


def test_each_council_gets_one_email_to_its_own_contacts(run, mail_catcher):
    _, summary, _, messages, _ = run
    assert summary["emails"] == 2 and len(mail_catcher.messages) == 2
    for council, message in messages.items():
        to = {a.split("<")[-1].strip(" >") for a in message["To"].split(",")}
        assert to == {c.email for c in catalogue.contacts()[council]}
        assert message["Cc"] is None and message["X-Councilbench-Source"] == "council_spend"


def test_a_rejected_file_says_which_rows_what_is_accepted_and_how_to_fix(run):
    _, _, done, messages, _ = run
    o, message = done["sandwell"], messages[code("sandwell")]
    assert (o.status, message["X-Councilbench-Kind"]) == ("rejected", "rejection")
    assert message["X-Councilbench-Submission"] == str(o.submission_id)
    assert "not accepted" in message["Subject"] and "September 2025" in message["Subject"]
    text = body(message)
    assert "REJECTED" in text and "nothing from it was loaded" in text
    assert "row " in text and "Accepted: payment dates from 01/09/2025 to 30/09/2025" in text
    assert "publish it again at the same address" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"sandwell-spend-{PERIOD}-rows-to-fix.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert rows and {r["check"] for r in rows} == {"period"}
    assert all(r["column"] == "payment_date" and r["accepted"].startswith("payment dates from") for r in rows)
    assert all(f"row {r['row']} dated {r['found']}" in text for r in rows[:3])
    html = message.get_body(("html",)).get_content()
    assert "rejected" in html and "01/09/2025" in html


def test_an_accepted_file_gets_a_receipt_of_lines_redactions_and_tidy_ups(run, reference_warehouse):
    sample, _, done, messages, _ = run
    o, message = done["solihull"], messages[code("solihull")]
    truth = next(f for f in sample.files if f.council_code == code("solihull"))
    assert (o.status, message["X-Councilbench-Kind"]) == ("loaded", "receipt")
    assert f"{len(truth.lines):,} payment lines loaded" in message["Subject"]
    text = body(message)
    with connect(reference_warehouse, role="loader") as conn:
        redacted, tidy_ups = conn.execute(
            """select (select count(*) from raw.council_spend_lines where submission_id = %s and redacted),
                      normalisations from ops.submissions where submission_id = %s""",
            [o.submission_id, o.submission_id],
        ).fetchone()
    assert f"- {len(truth.lines):,} payment lines, £{truth.net_pence / 100:,.2f} net" in text
    assert f"- {redacted:,} lines with a redacted beneficiary" in text
    assert tidy_ups and all(t in text for t in (tidy_ups if isinstance(tidy_ups, list) else json.loads(tidy_ups)))
    assert not list(message.iter_attachments())


def test_a_rerun_sends_nothing_and_a_corrected_file_gets_its_receipt(
    run, reference_warehouse, mail_catcher, returns_server
):
    _, _, done, _, url = run
    again, _ = pipeline.run_period(reference_warehouse, PERIOD, COUNCILS, spend_base_url=url, notify=True)
    assert again["emails"] == 0 and len(mail_catcher.messages) == 2
    sample_spend.write(returns_server.folder / "spend-notify", [PERIOD], ["sandwell"], scale=SCALE)
    fixed, outcomes = pipeline.run_period(reference_warehouse, PERIOD, ["sandwell"], spend_base_url=url, notify=True)
    assert fixed["emails"] == 1 and outcomes[0].status == "loaded"
    [receipt] = mail_catcher.messages[2:]
    assert (receipt["X-Councilbench-Council"], receipt["X-Councilbench-Kind"]) == (code("sandwell"), "receipt")
    with connect(reference_warehouse, role="loader") as conn:
        sent = conn.execute(
            """select kind, status from ops.outbox where subject = %s and period = %s order by submission_id""",
            [code("sandwell"), PERIOD],
        ).fetchall()
    assert sent == [("rejection", "sent"), ("receipt", "sent")]
    assert done["sandwell"].submission_id != outcomes[0].submission_id
