"""Council returns through the real pipeline: HTTP source on 127.0.0.1, landing, GX
validation, Postgres ledger and raw tables, emails through a real SMTP server.

Each bad input gets its own reporting month, so every test starts clean; a second
council's return for the same month shows that one council's bad file touches nothing
of anyone else's.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.ingest.fetch import RetryPolicy
from councilbench.returns.pipeline import process_return, send_emails
from councilbench.warehouse.connection import connect

FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=1, read_timeout=2)
DUDLEY, COVENTRY, TAMWORTH = "E08000027", "E08000026", "E07000199"
_months = (f"{2015 + i // 6}-{(i % 6) * 2 + 2:02d}" for i in itertools.count())  # even months; odd = previous


def month_pair() -> tuple[str, str]:
    month = next(_months)
    y, m = map(int, month.split("-"))
    return f"{y:04d}-{m - 1:02d}", month


def serve(server, council_code: str, month: str, data: bytes) -> Path:
    path = sample.return_path(server.folder, catalogue.councils()[council_code], month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run(warehouse, server, council_code: str, month: str):
    return process_return(warehouse, council_code, month, returns_base_url=server.url, policy=FAST)


def others_fingerprint(warehouse, council_code: str) -> list:
    with connect(warehouse, role="transformer") as conn:
        return conn.execute(
            """select council_code, return_period, count(*), sum(coalesce(value, 0))
               from raw.council_return_rows where council_code <> %s group by 1, 2 order by 1, 2""",
            [council_code],
        ).fetchall()


def emails_about(catcher, submission_id: int) -> list:
    return [m for m in catcher.messages if m["X-Councilbench-Submission"] == str(submission_id)]


@pytest.fixture
def month_with_neighbour(reference_warehouse, returns_server):
    """A fresh month: the council's previous month and Coventry's same month loaded clean."""

    def prepare(council_code: str):
        previous, month = month_pair()
        serve(returns_server, council_code, previous, sample.faulted_bytes(council_code, previous))
        serve(returns_server, COVENTRY, month, sample.faulted_bytes(COVENTRY, month))
        assert run(reference_warehouse, returns_server, council_code, previous).status == "loaded"
        assert run(reference_warehouse, returns_server, COVENTRY, month).status == "loaded"
        return month

    return prepare


BAD_INPUTS = [name for name, f in sample.FAULTS.items()]


@pytest.mark.parametrize("fault", BAD_INPUTS)
def test_bad_input_is_kept_explained_and_isolated(
    fault, reference_warehouse, returns_server, mail_catcher, month_with_neighbour
):
    expected = sample.FAULTS[fault]
    council = TAMWORTH if fault == "wrong_tier_metric" else DUDLEY
    month = month_with_neighbour(council)
    before = others_fingerprint(reference_warehouse, council)
    data = sample.faulted_bytes(council, month, [fault])
    serve(returns_server, council, month, data)

    outcome = run(reference_warehouse, returns_server, council, month)
    sent = send_emails(reference_warehouse, [outcome.as_dict()])

    with connect(reference_warehouse, role="loader") as conn:
        sub = conn.execute(
            "select sha256, landing_path, status, size_bytes from ops.submissions where submission_id = %s",
            [outcome.submission_id],
        ).fetchone()
        checks = dict(
            conn.execute(
                "select check_name, outcome from ops.check_results where submission_id = %s", [outcome.submission_id]
            ).fetchall()
        )
        loaded = conn.execute(
            "select count(*) from raw.council_return_rows where submission_id = %s", [outcome.submission_id]
        ).fetchone()[0]
    # Nothing is lost: the exact bytes served are kept under their hash, read-only.
    assert sub[0] == hashlib.sha256(data).hexdigest() and sub[3] == len(data)
    assert Path(sub[1]).read_bytes() == data and not (Path(sub[1]).stat().st_mode & 0o222)
    mails = emails_about(mail_catcher, outcome.submission_id)
    contacts = {c.email for c in catalogue.contacts()[council]}

    if expected.outcome == "rejected":
        assert sub[2] == "rejected" and loaded == 0
        assert any(checks.get(check) == "fail" for check in expected.checks), checks
        assert Path(outcome.quarantined).read_bytes() == data
        # One email, the rejection: no receipt for a file that was not loaded.
        assert len(mails) == 1 and mails[0]["Subject"].startswith("Action needed:")
        assert mails[0]["X-Councilbench-Kind"] == "rejection"
        recipients = {addr.strip().split("<")[-1].rstrip(">") for addr in mails[0]["To"].split(",")}
        assert recipients == contacts
        body = mails[0].get_body(("plain",)).get_content()
        assert "REJECTED" in body and "How to resubmit" in body
    elif expected.outcome == "warning":
        # One email, the receipt, carrying the warning.
        assert sub[2] == "loaded" and loaded > 0 and checks["month_on_month"] == "warn"
        assert len(mails) == 1 and mails[0]["X-Councilbench-Kind"] == "receipt"
        subject = mails[0]["Subject"]
        assert subject.startswith("Received and accepted:") and subject.endswith("please check 1 figure")
        assert sample.JUMP_METRIC in mails[0].get_body(("plain",)).get_content()
    else:
        assert sub[2] == "loaded" and loaded > 0 and "fail" not in checks.values()
        assert len(mails) == 1 and mails[0]["X-Councilbench-Kind"] == "receipt" and len(sent) == 1
        assert mails[0]["Subject"].startswith("Received and accepted:") and "please check" not in mails[0]["Subject"]
    if mails:
        assert {a.addr_spec for a in mails[0]["To"].addresses} == contacts
    assert others_fingerprint(reference_warehouse, council) == before


def test_two_hundred_megabyte_file_is_refused_fast_and_kept(
    reference_warehouse, returns_server, mail_catcher, month_with_neighbour
):
    month = month_with_neighbour(DUDLEY)
    path = sample.return_path(returns_server.folder, catalogue.councils()[DUDLEY], month)
    row = b"E08000027,%s,waste_fly_tipping_incidents,120,,,actual,\n" % month.encode()
    with open(path, "wb") as f:
        f.write(b"council_code,period,metric_id,value,numerator,denominator,status,note\n")
        block = row * 20000
        while f.tell() < 200 * 1024 * 1024:
            f.write(block)
    size = path.stat().st_size
    try:
        outcome = run(reference_warehouse, returns_server, DUDLEY, month)
        send_emails(reference_warehouse, [outcome.as_dict()])
        assert outcome.status == "rejected"
        with connect(reference_warehouse, role="loader") as conn:
            landed, message = conn.execute(
                """select s.size_bytes, c.message from ops.submissions s join ops.check_results c using (submission_id)
                   where s.submission_id = %s and c.check_name = 'readable'""",
                [outcome.submission_id],
            ).fetchone()
        assert landed == size
        assert "MB" in message and "limit" in message
        assert len(emails_about(mail_catcher, outcome.submission_id)) == 1
    finally:
        path.unlink()


def test_same_file_twice_is_a_no_op_and_a_correction_supersedes(
    reference_warehouse, returns_server, mail_catcher, month_with_neighbour
):
    month = month_with_neighbour(DUDLEY)
    serve(returns_server, DUDLEY, month, sample.faulted_bytes(DUDLEY, month, ["numerator_above_denominator"]))
    first = run(reference_warehouse, returns_server, DUDLEY, month)
    send_emails(reference_warehouse, [first.as_dict()])
    again = run(reference_warehouse, returns_server, DUDLEY, month)
    assert again.submission_id == first.submission_id and again.fetch == "unchanged" and not again.new_submission
    send_emails(reference_warehouse, [again.as_dict()])
    assert len(emails_about(mail_catcher, first.submission_id)) == 1  # a rerun never sends twice

    # The council fixes the file: it loads, and a later fix supersedes that one.
    serve(returns_server, DUDLEY, month, sample.faulted_bytes(DUDLEY, month))
    fixed = run(reference_warehouse, returns_server, DUDLEY, month)
    assert fixed.status == "loaded" and fixed.submission_id > first.submission_id
    send_emails(reference_warehouse, [fixed.as_dict()])
    serve(returns_server, DUDLEY, month, sample.faulted_bytes(DUDLEY, month, ["thousands_separators"], seed=1))
    refixed = run(reference_warehouse, returns_server, DUDLEY, month)
    assert refixed.status == "loaded"
    send_emails(reference_warehouse, [refixed.as_dict()])
    # Each accepted file got its receipt; the second says it replaces the first.
    [receipt] = emails_about(mail_catcher, fixed.submission_id)
    [second] = emails_about(mail_catcher, refixed.submission_id)
    assert "replacing" not in receipt["Subject"] and "replacing the earlier file" in second["Subject"]
    with connect(reference_warehouse, role="loader") as conn:
        fixed_sha = conn.execute(
            "select sha256 from ops.submissions where submission_id = %s", [fixed.submission_id]
        ).fetchone()[0]
    assert fixed_sha[:12] in second.get_body(("plain",)).get_content()
    with connect(reference_warehouse, role="loader") as conn:
        statuses = conn.execute(
            "select submission_id, status from ops.submissions where subject = %s and period = %s order by 1",
            [DUDLEY, month],
        ).fetchall()
        history = conn.execute(
            "select count(distinct submission_id) from raw.council_return_rows where council_code = %s and return_period = %s",
            [DUDLEY, month],
        ).fetchone()[0]
    assert [s for _, s in statuses] == ["rejected", "superseded", "loaded"]
    assert history == 2  # the superseded rows stay queryable


def test_an_accepted_return_gets_one_receipt_and_a_rerun_sends_nothing(
    reference_warehouse, returns_server, mail_catcher, month_with_neighbour
):
    month = month_with_neighbour(DUDLEY)
    data = sample.faulted_bytes(DUDLEY, month, ["bom", "thousands_separators"])
    serve(returns_server, DUDLEY, month, data)

    outcome = run(reference_warehouse, returns_server, DUDLEY, month)
    send_emails(reference_warehouse, [outcome.as_dict()])

    assert outcome.status == "loaded"
    [receipt] = emails_about(mail_catcher, outcome.submission_id)
    assert receipt["X-Councilbench-Kind"] == "receipt"
    assert {a.addr_spec for a in receipt["To"].addresses} == {c.email for c in catalogue.contacts()[DUDLEY]}
    with connect(reference_warehouse, role="loader") as conn:
        by_status = dict(
            conn.execute(
                "select status, count(*) from raw.council_return_rows where submission_id = %s group by 1",
                [outcome.submission_id],
            ).fetchall()
        )
    body = " ".join(receipt.get_body(("plain",)).get_content().split())
    assert f"{outcome.rows_loaded} rows, one per measure: {by_status['actual']} actual figures" in body
    assert hashlib.sha256(data).hexdigest()[:12] in body and f"{month}.csv" in body
    assert "byte-order mark (BOM)" in body and "thousands separators" in body  # the tidy-ups

    # A rerun finds the same file: nothing new, nothing sent.
    again = run(reference_warehouse, returns_server, DUDLEY, month)
    assert again.submission_id == outcome.submission_id and not again.new_submission
    assert send_emails(reference_warehouse, [again.as_dict()]) == []
    assert len(emails_about(mail_catcher, outcome.submission_id)) == 1


def test_missing_file_is_not_received_and_others_go_on(reference_warehouse, returns_server):
    _, month = month_pair()
    serve(returns_server, COVENTRY, month, sample.faulted_bytes(COVENTRY, month))
    missing = run(reference_warehouse, returns_server, DUDLEY, month)
    present = run(reference_warehouse, returns_server, COVENTRY, month)
    assert missing.fetch == "not_received" and missing.submission_id is None
    assert present.status == "loaded"
    with connect(reference_warehouse, role="loader") as conn:
        outcome = conn.execute(
            "select outcome, http_status from ops.fetch_attempts where subject = %s and period = %s", [DUDLEY, month]
        ).fetchone()
    assert outcome == ("not_received", 404)
