"""Late-return reminders in process, with a real SMTP server: before the due date each
council with no return yet gets one reminder; after it, each council missing or rejected
gets one chaser and the platform team one summary; nothing goes twice, nobody gets
another council's email. (tests/orchestration/test_airflow_scheduler.py runs the DAG under the scheduler.)"""

from __future__ import annotations

import pytest

from councilbench.core import catalogue
from councilbench.core.settings import ops_email
from councilbench.dev import sample_returns as sample
from councilbench.returns.pipeline import run_month
from councilbench.returns.reminders import send_month_summary, send_reminders

MONTH = "2024-03"  # no other test uses it
SENT = ["E08000025", "E08000026", "E08000027", "E07000234", "E10000028"]  # these sent a return
REJECTED = "E08000027"  # ... and this one's was rejected


@pytest.fixture(scope="module")
def month(reference_warehouse, returns_server, mail_catcher):
    sample.write_returns(returns_server.folder, [MONTH], councils=SENT, faults={REJECTED: ["html_error_page"]})
    summary = run_month(reference_warehouse, MONTH, councils=SENT, returns_base_url=returns_server.url, notify=False)
    assert (summary["loaded"], summary["rejected"]) == (4, 1)
    return reference_warehouse


def _by_kind(mail_catcher, kind):
    return [m for m in mail_catcher.messages if m["X-Councilbench-Kind"] == kind and m["X-Councilbench-Month"] == MONTH]


def _to(message):
    return {a.addr_spec.lower() for a in message["To"].addresses}


def test_reminders_go_to_each_council_without_a_return_once(month, mail_catcher):
    sent = send_reminders(month, MONTH, "reminder")
    missing = sorted(set(catalogue.councils()) - set(SENT))
    assert sorted(s["council_code"] for s in sent if s["status"] == "sent") == missing
    mails = _by_kind(mail_catcher, "return_reminder")
    assert sorted(m["X-Councilbench-Council"] for m in mails) == missing
    for m in mails:
        code = m["X-Councilbench-Council"]
        assert _to(m) == {c.email.lower() for c in catalogue.contacts()[code]}
        assert not m["Cc"] and not m["Bcc"]
        assert "due on 15 April 2024" in m["Subject"]
        text = m.get_body(("plain",)).get_content()
        assert f"--council {code} --period {MONTH}" in text  # how to self-check
        assert catalogue.councils()[code].return_uri(MONTH) in text  # where to put it
        [template] = list(m.iter_attachments())
        rows = template.get_content().splitlines()
        assert rows[0].startswith("council_code,period,metric_id") and len(rows) > 10
        assert {r.split(",")[0] for r in rows[1:]} == {code}
    # A second run sends nothing.
    again = send_reminders(month, MONTH, "reminder")
    assert {s["status"] for s in again} == {"already_sent"}
    assert len(_by_kind(mail_catcher, "return_reminder")) == len(missing)


def test_chasers_name_what_is_wrong_and_the_platform_gets_one_summary(month, mail_catcher):
    chased = send_reminders(month, MONTH, "chaser")
    expected = sorted(set(catalogue.councils()) - set(SENT) | {REJECTED})
    assert sorted(s["council_code"] for s in chased) == expected
    [rejected] = [m for m in _by_kind(mail_catcher, "return_chaser") if m["X-Councilbench-Council"] == REJECTED]
    assert rejected["Subject"] == "Still needed: a corrected March 2024 return from Dudley"
    assert "web page, not a return" in rejected.get_body(("plain",)).get_content()
    missing = [m for m in _by_kind(mail_catcher, "return_chaser") if m["X-Councilbench-Council"] != REJECTED]
    assert all(m["Subject"].startswith("Overdue: ") for m in missing)

    summary = send_month_summary(month, MONTH, chased)
    assert summary["status"] == "sent" and summary["recipients"] == [ops_email()]
    [mail] = _by_kind(mail_catcher, "month_summary")
    assert mail["Subject"].endswith("4 loaded, 1 rejected, 28 missing")
    body = mail.get_body(("plain",)).get_content()
    assert f"Chasers sent to {len(expected)} council(s)" in body
    assert send_month_summary(month, MONTH, chased)["status"] == "already_sent"
    assert len(_by_kind(mail_catcher, "month_summary")) == 1
