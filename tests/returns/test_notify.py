"""Emails to councils about their returns: real PostgreSQL (the session warehouse with
the reference seeds) and a real SMTP server (the mail catcher), reached through Airflow's
SMTP provider and the project's smtp_default connection."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import smtplib
import threading
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from councilbench.core import settings
from councilbench.dev.mailcatcher import start_catcher
from councilbench.ingest import ledger, lifecycle
from councilbench.orchestration import airflow_env
from councilbench.returns import email_render
from councilbench.returns.contract import (
    CHECKS,
    CheckOutcome,
    FailingRow,
    ValidationReport,
)
from councilbench.returns.kind import RETURN_ROWS, RETURNS
from councilbench.returns.notify import NoContactsError, notify_submission
from councilbench.warehouse.connection import connect

DUDLEY, COVENTRY, TAMWORTH = "E08000027", "E08000026", "E07000199"
WOLVERHAMPTON, WALSALL, SOLIHULL, CANNOCK_CHASE = "E08000031", "E08000030", "E08000029", "E07000192"
PERIOD = "2026-10"
#: Accepted returns load rows into the session's shared warehouse: a month long before
#: any other test's, for councils no other test validates, so no month-on-month check or
#: mart sees them.
ACCEPTED_PERIOD = "2001-10"
OPS = "platform-team@test.example"


# --- building blocks ---------------------------------------------------------------------


def _passing(*, except_: dict[str, CheckOutcome]) -> list[CheckOutcome]:
    return [except_.get(name) or CheckOutcome(name, severity, "pass", "OK") for name, severity in CHECKS.items()]


def rejection_report(council: str = DUDLEY) -> ValidationReport:
    bounds = CheckOutcome(
        "within_bounds",
        "fail",
        "fail",
        "2 values are outside the range we accept.",
        [
            FailingRow(7, "waste_missed_collections_per_100k", "25,000", "a number from 0 to 2000", "value"),
            FailingRow(12, "wf_sickness_days_per_fte", "-1.5", "a number from 0 to 6", "value"),
        ],
    )
    status = CheckOutcome(
        "status",
        "fail",
        "fail",
        "1 row has a status we do not recognise.",
        [
            FailingRow(
                15,
                "plan_applications_received",
                "n/a",
                "actual, estimate or not_available (with the reason in note)",
                "status",
            ),
        ],
    )
    jump = CheckOutcome(
        "month_on_month",
        "warn",
        "warn",
        "1 value changed a lot from last month.",
        [
            FailingRow(
                9,
                "roads_cat1_defects_repaired_in_time_pct",
                "41.0 (September 2026: 93.0, -56%)",
                "a change of at most 25% from last month, or a note confirming it",
                "value",
            ),
        ],
    )
    return ValidationReport(
        council,
        PERIOD,
        _passing(except_={"within_bounds": bounds, "status": status, "month_on_month": jump}),
        normalisations=[
            "removed the byte-order mark (BOM) at the start of the file",
            "read '£1,234' as 1234 in 2 values (currency sign and thousands separator)",
        ],
    )


def warning_report(council: str = DUDLEY) -> ValidationReport:
    jump = CheckOutcome(
        "month_on_month",
        "warn",
        "warn",
        "2 values changed a lot from last month.",
        [
            FailingRow(
                5,
                "waste_missed_collections_per_100k",
                "912 (September 2026: 410, +122%)",
                "a change of at most 50% from last month, or a note confirming it",
                "value",
            ),
            FailingRow(
                11,
                "wf_sickness_days_per_fte",
                "0.4 (September 2026: 1.1, -64%)",
                "a change of at most 30% from last month, or a note confirming it",
                "value",
            ),
        ],
    )
    return ValidationReport(council, PERIOD, _passing(except_={"month_on_month": jump}))


def insert_submission(warehouse, report: ValidationReport) -> int:
    """A submission as the pipeline leaves it: in the ledger with its check results committed."""
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    status = {"fail": "rejected", "warn": "loaded", "pass": "loaded"}[report.outcome]
    with connect(warehouse, role="loader") as conn:
        submission_id = conn.execute(
            """insert into ops.submissions (source_kind, subject, period, source_uri, sha256, size_bytes,
                   media_type, original_name, landing_path, status, outcome)
               values ('council_return', %s, %s, %s, %s, 2048, 'text/csv', %s, %s, %s, %s)
               returning submission_id""",
            [
                report.council_code,
                report.return_month,
                f"http://127.0.0.1:8765/returns/x/{PERIOD}.csv",
                sha,
                f"{PERIOD}.csv",
                f"/landing/council_return/{sha}.csv",
                status,
                report.outcome,
            ],
        ).fetchone()[0]
        for c in report.checks:
            conn.execute(
                """insert into ops.check_results (submission_id, check_name, severity, outcome, failing_row_count,
                       failing_rows, message) values (%s, %s, %s, %s, %s, %s::jsonb, %s)""",
                [
                    submission_id,
                    c.check,
                    c.severity,
                    c.outcome,
                    len(c.failing_rows),
                    json.dumps([r.as_dict() for r in c.failing_rows]),
                    c.message,
                ],
            )
        conn.commit()
    return submission_id


TIDY_UPS = [
    "removed a byte-order mark (BOM) at the start of the file",
    "read the file as Windows-1252 because it is not valid UTF-8 (row 6: '£' in note)",
    "removed thousands separators (commas) from 2 numbers (row 3: '12,345' read as 12345)",
    "removed the '%' sign from 1 percentage of metrics measured in percent (row 5: '85.3%' read as 85.3)",
]


def accepted_report(council: str = WOLVERHAMPTON, *, warnings: bool = False) -> ValidationReport:
    """A report the pipeline accepts: four rows (two actual figures, an estimate and a
    measure not available), tidied up on the way in; with `warnings`, two big jumps."""
    import pandas as pd

    checks = warning_report(council).checks if warnings else _passing(except_={})
    month = ACCEPTED_PERIOD
    rows = pd.DataFrame(
        [
            (2, council, month, "waste_missed_collections_per_100k", month, 912.0, None, None, "actual", None),
            (3, council, month, "plan_applications_received", month, 12345.0, None, None, "actual", None),
            (4, council, month, "wf_sickness_days_per_fte", month, 0.4, None, None, "estimate", "payroll not closed"),
            (
                5,
                council,
                month,
                "roads_cat1_defects_repaired_in_time_pct",
                month,
                None,
                None,
                None,
                "not_available",
                "contractor system down",
            ),
        ],
        columns=list(RETURN_ROWS.columns),
    )
    return ValidationReport(council, month, checks, normalisations=list(TIDY_UPS), rows=rows)


def accept(warehouse, report: ValidationReport) -> int:
    """A submission the pipeline accepted: landed, its checks recorded and its rows loaded
    (the lifecycle's own ledger.record_checks and copy_and_settle, so an earlier accepted file
    of the council's month becomes superseded)."""
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    with connect(warehouse, role="loader") as conn:
        submission_id = conn.execute(
            """insert into ops.submissions (source_kind, subject, period, source_uri, sha256, size_bytes,
                   media_type, original_name, landing_path)
               values ('council_return', %s, %s, %s, %s, 2048, 'text/csv', %s, %s) returning submission_id""",
            [
                report.council_code,
                report.return_month,
                f"http://127.0.0.1:8765/returns/x/{report.return_month}.csv",
                sha,
                f"{report.return_month}.csv",
                f"/landing/council_return/{sha}.csv",
            ],
        ).fetchone()[0]
        ledger.record_checks(conn, submission_id, report.checks, report.outcome, report.normalisations)
        conn.commit()
        lifecycle.copy_and_settle(conn, RETURNS, submission_id, report.rows)
        conn.commit()
    return submission_id


def one_line(text: str) -> str:
    """Text with its line wrapping undone, to find a sentence whatever the wrapping."""
    return " ".join(text.split())


def contacts_of(warehouse, code: str) -> set[str]:
    with connect(warehouse, role="loader") as conn:
        return {r[0] for r in conn.execute("select email from reference.council_contacts where gss_code = %s", [code])}


def other_contacts(warehouse, code: str) -> set[str]:
    with connect(warehouse, role="loader") as conn:
        return {
            r[0].lower()
            for r in conn.execute("select email from reference.council_contacts where gss_code <> %s", [code])
        }


def notifications(warehouse, submission_id: int) -> list[dict]:
    with connect(warehouse, role="loader") as conn:
        cur = conn.execute("select * from ops.outbox where submission_id = %s order by kind", [submission_id])
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def submission_sha256(warehouse, sid: int) -> str:
    with connect(warehouse, role="loader") as conn:
        return conn.execute("select sha256 from ops.submissions where submission_id = %s", [sid]).fetchone()[0]


def received_at(warehouse, sid: int) -> datetime:
    with connect(warehouse, role="loader") as conn:
        return conn.execute("select fetched_at from ops.submissions where submission_id = %s", [sid]).fetchone()[0]


def check_results(warehouse, submission_id: int) -> list[tuple]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            "select * from ops.check_results where submission_id = %s order by check_name", [submission_id]
        ).fetchall()


def parts(msg) -> tuple[str, str, list]:
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return plain, html, list(msg.iter_attachments())


def every_address(msg) -> set[str]:
    found = set()
    for header in ("To", "Cc", "Bcc", "X-Envelope-To"):
        for value in msg.get_all(header, []):
            found |= {a.lower() for a in re.findall(r"[\w.+-]+@[\w.-]+", str(value))}
    return found


@pytest.fixture
def catcher(tmp_path, monkeypatch):
    """The mail catcher on a free port, wired in as Airflow's smtp_default connection
    exactly as the project builds it (airflow_env.smtp_connection)."""
    with start_catcher(tmp_path / "mail") as handle:
        monkeypatch.setenv("COUNCILBENCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("COUNCILBENCH_SMTP_PORT", str(handle.port))
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_env.smtp_connection())
        monkeypatch.setenv("COUNCILBENCH_OPS_EMAIL", OPS)
        yield handle


# --- the tests -----------------------------------------------------------------------------


def test_rejection_email_says_what_to_fix_to_that_council_only(reference_warehouse, catcher):
    report = rejection_report()
    sid = insert_submission(reference_warehouse, report)

    result = notify_submission(reference_warehouse, sid, report)

    dudley = contacts_of(reference_warehouse, DUDLEY)
    assert len(dudley) == 2
    assert result.status == "sent" and result.kind == "rejection" and set(result.recipients) == dudley
    [caught] = catcher.caught
    msg = caught.message
    assert set(caught.rcpt_tos) == dudley
    assert {a.addr_spec for a in msg["To"].addresses} == dudley
    assert msg["Cc"] is None and msg["Bcc"] is None
    assert not every_address(msg) & other_contacts(reference_warehouse, DUDLEY)
    assert msg["Subject"] == "Action needed: Dudley's October 2026 return was not accepted"
    assert msg["From"].addresses[0].addr_spec == settings.mail_from() == caught.mail_from
    assert msg["Reply-To"] == OPS
    assert msg["Message-ID"] == f"<submission-{sid}.rejection@councilbench>"
    assert msg["X-Councilbench-Submission"] == str(sid)

    plain, html, attachments = parts(msg)
    for text in (plain, html):
        for _row, metric, found, accepted in [
            (7, "waste_missed_collections_per_100k", "25,000", "a number from 0 to 2000"),
            (12, "wf_sickness_days_per_fte", "-1.5", "a number from 0 to 6"),
            (15, "plan_applications_received", "n/a", "actual, estimate or not_available"),
        ]:
            assert metric in text and found in text and accepted in text
        assert "Byte-order mark (BOM)".lower() in text.lower() and "£1,234" in text  # normalisations
        assert OPS in text and f"{sid}" in text
        assert "councilbench validate" in text
        # beside the command, the explorer's Check a file page for this council and month
        assert f"{settings.explorer_url()}/check?council=dudley&period={PERIOD}" in unescape(text)
    for row in (7, 12, 15):
        assert re.search(rf"\brow {row}\b", plain, re.I), f"row {row} not named in the plain text"
        assert re.search(rf'<th scope="row"[^>]*>{row}\b', html)
    # The HTML: headings and one accessible table per failed check, metric names included.
    assert '<html lang="en-GB">' in html and "<h2" in html and "How to resubmit" in html
    assert html.count('<th scope="col"') >= 8 and "Accepted</th>" in html
    assert "Missed bin collections per 100,000 collections" in html
    assert "15 November 2026" in html and "15 November 2026" in plain  # the due date
    sha = submission_sha256(reference_warehouse, sid)
    assert sha[:12] in html and sha[:12] in plain

    [attachment] = attachments
    assert attachment.get_filename() == "dudley-2026-10-failing-rows.csv"
    assert attachment.get_content_type() == "text/csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    values = [set(map(str, r.values())) for r in rows]
    for expected in [
        {"7", "waste_missed_collections_per_100k", "25,000"},
        {"12", "wf_sickness_days_per_fte", "-1.5"},
        {"15", "plan_applications_received", "n/a"},
    ]:
        assert any(expected <= v for v in values), f"{expected} not in the CSV"

    [row] = notifications(reference_warehouse, sid)
    assert (row["kind"], row["status"], row["attempts"]) == ("rejection", "sent", 1)
    assert set(row["recipients"]) == dudley and row["subject_line"] == msg["Subject"]
    assert row["message_id"] == msg["Message-ID"] and row["sent_at"] is not None and row["last_error"] is None

    # A rerun (an Airflow retry, a rerun of the month) sends nothing more.
    again = notify_submission(reference_warehouse, sid, report)
    assert again.status == "already_sent" and again.message_id == msg["Message-ID"]
    assert len(catcher.messages) == 1
    [row] = notifications(reference_warehouse, sid)
    assert (row["status"], row["attempts"]) == ("sent", 1)


def test_an_accepted_return_gets_one_receipt_of_what_was_loaded_and_tidied(reference_warehouse, catcher):
    report = accepted_report(WOLVERHAMPTON)
    sid = accept(reference_warehouse, report)

    result = notify_submission(reference_warehouse, sid, report)

    own = contacts_of(reference_warehouse, WOLVERHAMPTON)
    assert (result.status, result.kind) == ("sent", "receipt") and set(result.recipients) == own
    [caught] = catcher.caught
    msg = caught.message
    assert set(caught.rcpt_tos) == own == {a.addr_spec for a in msg["To"].addresses}
    assert not every_address(msg) & other_contacts(reference_warehouse, WOLVERHAMPTON)
    assert msg["Subject"] == "Received and accepted: Wolverhampton's October 2001 return"
    assert msg["Message-ID"] == f"<submission-{sid}.receipt@councilbench>"
    assert msg["X-Councilbench-Kind"] == "receipt" and msg["Importance"] == "low"
    plain, html, attachments = parts(msg)
    assert attachments == []
    sha = submission_sha256(reference_warehouse, sid)
    for text in (one_line(plain), unescape(html)):
        assert "accepted" in text and "not accepted" not in text.lower() and "Action needed" not in text
        # What was loaded: the period, the rows by status, the file, its fingerprint and when it came.
        assert "October 2001" in text and "2001-10.csv" in text and sha[:12] in text
        assert "4 rows" in text and "2 actual figures" in text and "1 estimate" in text
        assert "1 marked not available" in text
        assert email_render.uk_time(received_at(reference_warehouse, sid)) in text
        for tidy_up in ("byte-order mark (BOM)", "Windows-1252", "'12,345' read as 12345", "'85.3%' read as 85.3"):
            assert tidy_up in text, tidy_up
        assert "benchmarking pack" in text and "How Wolverhampton compares" in text  # where to see the figures
        assert "replaces the file we accepted" not in text and "warning" not in text.lower()
    [row] = notifications(reference_warehouse, sid)
    assert (row["kind"], row["status"], row["attempts"]) == ("receipt", "sent", 1)
    assert set(row["recipients"]) == own and row["subject_line"] == msg["Subject"]

    # A rerun sends nothing more.
    assert notify_submission(reference_warehouse, sid, report).status == "already_sent"
    assert len(catcher.messages) == 1


def test_accepted_with_warnings_gets_one_receipt_that_carries_the_warnings(reference_warehouse, catcher):
    report = accepted_report(WALSALL, warnings=True)
    sid = accept(reference_warehouse, report)

    result = notify_submission(reference_warehouse, sid, report)

    assert (result.status, result.kind) == ("sent", "receipt")
    [msg] = catcher.messages
    assert msg["Subject"] == "Received and accepted: Walsall's October 2001 return; please check 2 figures"
    assert msg["Importance"] == "low" and msg["Message-ID"] == f"<submission-{sid}.receipt@councilbench>"
    assert {a.addr_spec for a in msg["To"].addresses} == contacts_of(reference_warehouse, WALSALL)
    plain, html, attachments = parts(msg)
    assert attachments == []
    for text in (one_line(plain), unescape(html)):
        assert "Action needed" not in text and "not accepted" not in text.lower()
        assert "accepted" in text and "4 rows" in text and "confirm" in text
        for metric, found in [
            ("waste_missed_collections_per_100k", "912 (September 2026: 410, +122%)"),
            ("wf_sickness_days_per_fte", "0.4 (September 2026: 1.1, -64%)"),
        ]:
            assert metric in text and found in text
        assert "'12,345' read as 12345" in text
    # One email for the submission: the receipt, with no separate warning.
    assert [(r["kind"], r["status"]) for r in notifications(reference_warehouse, sid)] == [("receipt", "sent")]


def test_a_receipt_for_a_resubmission_says_which_file_it_replaces(reference_warehouse, catcher):
    first = accept(reference_warehouse, accepted_report(SOLIHULL))
    with connect(reference_warehouse, role="loader") as conn:  # the month's pack went out in between
        conn.execute(
            """insert into ops.outbox (kind, subject, period, recipients, subject_line, status, sent_at)
               values ('monthly_pack', %s, %s, '{}', 'pack', 'sent', %s)""",
            [SOLIHULL, ACCEPTED_PERIOD, datetime(2001, 11, 19, 9, tzinfo=UTC)],
        )
        conn.commit()
    report = accepted_report(SOLIHULL)
    second = accept(reference_warehouse, report)

    notify_submission(reference_warehouse, second, report)

    [msg] = catcher.messages
    assert msg["Subject"] == "Received and accepted: Solihull's October 2001 return, replacing the earlier file"
    plain, html, _ = parts(msg)
    earlier = submission_sha256(reference_warehouse, first)[:12]
    for text in (one_line(plain), unescape(html)):
        assert "replaces the file we accepted" in text and earlier in text
        assert email_render.uk_time(received_at(reference_warehouse, first)) in text
        assert "Monday 19 November 2001" in text  # the month's pack went out before, with the earlier figures
    assert notifications(reference_warehouse, first) == []


def test_a_receipt_waits_for_the_rows_to_be_loaded(reference_warehouse, catcher):
    report = accepted_report(CANNOCK_CHASE)
    sid = insert_submission(reference_warehouse, report)
    with connect(reference_warehouse, role="loader") as conn:
        conn.execute("update ops.submissions set status = 'received' where submission_id = %s", [sid])
        conn.commit()
    with pytest.raises(ValueError, match="not loaded"):
        notify_submission(reference_warehouse, sid, report)
    assert catcher.messages == [] and notifications(reference_warehouse, sid) == []


@pytest.mark.parametrize("kind", ["rejection", "receipt"])
def test_smtp_outage_records_the_failure_and_a_retry_sends_once(kind, reference_warehouse, catcher, tmp_path):
    if kind == "rejection":
        report = rejection_report(COVENTRY)
        sid = insert_submission(reference_warehouse, report)
    else:
        report = accepted_report(CANNOCK_CHASE)
        sid = accept(reference_warehouse, report)
    results_before = check_results(reference_warehouse, sid)

    catcher.fail_next(None, "451")  # the relay refuses every message
    with pytest.raises(smtplib.SMTPDataError):
        notify_submission(reference_warehouse, sid, report)
    [row] = notifications(reference_warehouse, sid)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("failed", 1, None)
    assert "451" in row["last_error"] and "SMTPDataError" in row["last_error"]

    catcher.stop()  # the relay is down altogether: connection refused
    with pytest.raises(ConnectionRefusedError):
        notify_submission(reference_warehouse, sid, report)
    [row] = notifications(reference_warehouse, sid)
    assert (row["status"], row["attempts"]) == ("failed", 2) and "ConnectionRefusedError" in row["last_error"]

    assert catcher.messages == []
    assert check_results(reference_warehouse, sid) == results_before  # validation results untouched

    # The server is back on the same port: Airflow's retry sends exactly once.
    with start_catcher(tmp_path / "mail-after", port=catcher.port) as back:
        result = notify_submission(reference_warehouse, sid, report)
        assert result.status == "sent" and result.attempts == 3
        assert notify_submission(reference_warehouse, sid, report).status == "already_sent"
        [msg] = back.messages
        assert (
            msg["Subject"]
            == {
                "rejection": "Action needed: Coventry's October 2026 return was not accepted",
                "receipt": "Received and accepted: Cannock Chase's October 2001 return",
            }[kind]
        )
        assert msg["X-Councilbench-Kind"] == kind
        assert every_address(msg) == {a.lower() for a in contacts_of(reference_warehouse, report.council_code)}
    [row] = notifications(reference_warehouse, sid)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    assert check_results(reference_warehouse, sid) == results_before


def test_two_runs_at_once_send_one_email(reference_warehouse, catcher):
    report = rejection_report()
    sid = insert_submission(reference_warehouse, report)
    start, results, errors = threading.Barrier(2), [], []

    def run():
        start.wait()
        try:
            results.append(notify_submission(reference_warehouse, sid, report).status)
        except Exception as exc:  # noqa: BLE001 - any failure is surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and sorted(results) == ["already_sent", "sent"]
    assert len(catcher.messages) == 1
    assert [(r["status"], r["attempts"]) for r in notifications(reference_warehouse, sid)] == [("sent", 1)]


def test_each_council_hears_only_about_its_own_return(reference_warehouse, catcher):
    sent = {}
    for code in (DUDLEY, COVENTRY):
        report = rejection_report(code)
        sent[code] = notify_submission(reference_warehouse, insert_submission(reference_warehouse, report), report)
    for caught in catcher.caught:
        code = caught.message["X-Councilbench-Council"]
        own = {a.lower() for a in contacts_of(reference_warehouse, code)}
        assert set(caught.rcpt_tos) == own == every_address(caught.message)
        assert not every_address(caught.message) & other_contacts(reference_warehouse, code)
    assert sorted(m["X-Councilbench-Council"] for m in catcher.messages) == sorted([DUDLEY, COVENTRY])


def test_a_council_without_contacts_fails_loudly(reference_warehouse, catcher):
    report = rejection_report(TAMWORTH)
    sid = insert_submission(reference_warehouse, report)
    # Take Tamworth's contacts away for this test only (as the admin: the loader may
    # only read the reference data), and put them back afterwards.
    with connect(reference_warehouse) as admin:
        saved = admin.execute(
            "select gss_code, contact_name, email, role from reference.council_contacts where gss_code = %s", [TAMWORTH]
        ).fetchall()
        admin.execute("delete from reference.council_contacts where gss_code = %s", [TAMWORTH])
        admin.commit()
    try:
        with pytest.raises(NoContactsError, match="no contacts for Tamworth Borough Council"):
            notify_submission(reference_warehouse, sid, report)
    finally:
        with connect(reference_warehouse) as admin:
            admin.cursor().executemany(
                "insert into reference.council_contacts (gss_code, contact_name, email, role) values (%s, %s, %s, %s)",
                saved,
            )
            admin.commit()
    assert catcher.messages == []
    [row] = notifications(reference_warehouse, sid)
    assert row["status"] == "failed" and "reference.council_contacts" in row["last_error"]
    assert row["recipients"] == []


def test_a_report_for_another_council_is_never_emailed(reference_warehouse, catcher):
    sid = insert_submission(reference_warehouse, rejection_report(DUDLEY))
    with pytest.raises(ValueError, match="report is for E08000026"):
        notify_submission(reference_warehouse, sid, rejection_report(COVENTRY))
    assert catcher.messages == [] and notifications(reference_warehouse, sid) == []


def test_compose_refuses_contacts_of_another_council():
    from councilbench.core.catalogue import Contact, councils

    with pytest.raises(ValueError, match="another council"):
        email_render.compose(
            "rejection",
            rejection_report(),
            council=councils()[DUDLEY],
            contacts=[
                Contact(DUDLEY, "A", "a@dudley.example", "primary"),
                Contact(COVENTRY, "B", "b@coventry.example", "primary"),
            ],
            submission=email_render.SubmissionRef(1, "0" * 64, datetime(2026, 11, 2, tzinfo=UTC)),
        )


def _compose_dudley(kind: str, report: ValidationReport, now: datetime):
    from councilbench.core.catalogue import contacts, councils

    return email_render.compose(
        kind,
        report,
        council=councils()[DUDLEY],
        contacts=contacts()[DUDLEY],
        submission=email_render.SubmissionRef(7, "ab" * 32, now - timedelta(hours=1)),
        now=now,
    )


def test_due_date_is_stated_and_an_overdue_return_is_asked_for_promptly():
    assert email_render.return_due("2026-10") == datetime(2026, 11, 15, 6, tzinfo=UTC)
    assert email_render.return_due("2026-12") == datetime(2027, 1, 15, 6, tzinfo=UTC)
    before = _compose_dudley("rejection", rejection_report(), datetime(2026, 11, 10, 12, tzinfo=UTC))
    after = _compose_dudley("rejection", rejection_report(), datetime(2026, 11, 16, 12, tzinfo=UTC))
    due = "06:00 on Sunday 15 November 2026 (UK time)"
    for msg, verb, when in [(before, "is", f"by {due}"), (after, "was", "as soon as you can")]:
        plain, html, _ = parts(msg)
        assert f"return {verb} due by {due}" in " ".join(plain.split())
        assert when in " ".join(plain.split())
        assert f"{verb} due by <strong>{due}</strong>" in html
    # Summer time: 06:00 UTC is 07:00 in the UK.
    assert email_render.uk_time(email_render.return_due("2026-06")) == "07:00 on Wednesday 15 July 2026 (UK time)"


def test_every_council_gets_a_short_name_in_its_subject():
    from councilbench.core.catalogue import councils

    names = {c.code: email_render.council_display_name(c.name) for c in councils().values()}
    assert names[DUDLEY] == "Dudley" and names["E08000031"] == "Wolverhampton"
    assert names["E06000020"] == "Telford & Wrekin" and names["E07000195"] == "Newcastle-under-Lyme"
    assert all(n and "Council" not in n for n in names.values())
    assert (
        email_render.subject_line("rejection", rejection_report(), councils()["E06000020"])
        == "Action needed: Telford & Wrekin's October 2026 return was not accepted"
    )


def test_the_check_page_link_follows_the_configured_explorer_address():
    """COUNCILBENCH_EXPLORER_URL: where councils reach the explorer (a trailing slash is
    dropped); the link carries the council's short name and the month, in both parts."""
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    link = f"https://explorer.wmb.example/benchmarking/check?council=dudley&period={PERIOD}"
    with settings.environ({"COUNCILBENCH_EXPLORER_URL": "https://explorer.wmb.example/benchmarking/"}):
        plain, html, _ = parts(_compose_dudley("rejection", rejection_report(), now))
    assert link in plain and f'<a href="{link.replace("&", "&amp;")}">' in html
    default_plain, _, _ = parts(_compose_dudley("rejection", rejection_report(), now))
    assert "explorer.wmb.example" not in default_plain
    assert f"{settings.explorer_url()}/check?council=dudley&period={PERIOD}" in default_plain
