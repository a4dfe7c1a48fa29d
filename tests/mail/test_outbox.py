"""The one send-once outbox (councilbench.mail.outbox, ops.outbox): every kind of email the
platform sends goes through it, once, with a real SMTP server (aiosmtpd, the mail_catcher
fixture, reached through Airflow's SMTP provider); and a warehouse built before the outbox
(two ledgers, ops.notifications and ops.report_sends) is upgraded by `db up` without
anything already sent going again."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest

from councilbench.core import catalogue
from councilbench.core.calendar import month_label
from councilbench.mail import outbox
from councilbench.reports import format as fmt
from councilbench.reports import sending
from councilbench.returns.contract import CHECKS, CheckOutcome, FailingRow, ValidationReport
from councilbench.returns.notify import notify_submission, still_owed
from councilbench.returns.reminders import send_month_summary, send_reminders
from councilbench.warehouse import bootstrap
from councilbench.warehouse.connection import connect
from warehouse_copy import copy_database

DUDLEY, WOLVERHAMPTON, TAMWORTH = "E08000027", "E08000031", "E07000199"
MONTH = "2026-10"
#: The kinds about returns and months, sent here; the pay report's (outbox.REQUEST_KINDS)
#: goes through the same outbox once per selection in tests/reports/test_pay_report.py.
MONTH_WORLD_KINDS = outbox.SUBMISSION_KINDS + outbox.MONTH_KINDS


# --- building blocks -------------------------------------------------------------------------


def report(council: str, *, failing: bool) -> ValidationReport:
    checks = [CheckOutcome(name, severity, "pass", "OK") for name, severity in CHECKS.items()]
    if failing:
        bounds = CheckOutcome(
            "within_bounds",
            "fail",
            "fail",
            "1 value is outside the range we accept.",
            [FailingRow(7, "waste_missed_collections_per_100k", "25,000", "a number from 0 to 2000", "value")],
        )
        checks = [bounds if c.check == "within_bounds" else c for c in checks]
    return ValidationReport(council, MONTH, checks)


def insert_submission(conn, validation: ValidationReport) -> int:
    """A council return as the pipeline leaves it in the ledger: rejected or loaded, with
    its check results."""
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    rejected = validation.outcome == "fail"
    submission_id = conn.execute(
        """insert into ops.submissions (source_kind, subject, period, source_uri, sha256, size_bytes, media_type,
               original_name, landing_path, status, outcome)
           values ('council_return', %s, %s, %s, %s, 2048, 'text/csv', %s, %s, %s, %s) returning submission_id""",
        [
            validation.council_code,
            MONTH,
            f"http://127.0.0.1:8765/returns/x/{MONTH}.csv",
            sha,
            f"{MONTH}.csv",
            f"/landing/council_return/{sha}.csv",
            "rejected" if rejected else "loaded",
            validation.outcome,
        ],
    ).fetchone()[0]
    for c in validation.checks:
        conn.execute(
            """insert into ops.check_results (submission_id, check_name, severity, outcome, failing_row_count,
                   message) values (%s, %s, %s, %s, %s, %s)""",
            [submission_id, c.check, c.severity, c.outcome, len(c.failing_rows), c.message],
        )
    return submission_id


def pack_summary(council_code: str, submission_ids: list[int]) -> dict:
    """What packs.Pack.summary() writes beside a pack, for the pack email."""
    council = catalogue.councils()[council_code]
    return {
        "council_code": council_code,
        "council_name": council.name,
        "display_name": fmt.display_name(council.name),
        "short_name": council.short_name,
        "month": MONTH,
        "month_label": month_label(MONTH),
        "lines": ["Your return was received on time."],
        "as_at": {"latest_month_label": month_label(MONTH), "built_at": "2 November 2026"},
        "submission_ids": submission_ids,
    }


def ledger(warehouse) -> list[tuple]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            """select kind, subject, period, submission_id, status, attempts, message_id from ops.outbox
               order by kind collate "C", subject, submission_id"""
        ).fetchall()


# --- every kind, once --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def month_world(reference_template):
    """A warehouse of its own with the reference data (contacts, registry), so the
    submissions of this month stay out of the session warehouse's marts: Dudley's return
    rejected, Wolverhampton's accepted and loaded, Tamworth's not received."""
    warehouse = copy_database(reference_template, "outbox")
    with connect(warehouse, role="loader") as conn:
        rejected = insert_submission(conn, report(DUDLEY, failing=True))
        accepted = insert_submission(conn, report(WOLVERHAMPTON, failing=False))
        conn.commit()
    yield warehouse, rejected, accepted
    bootstrap.drop_database(warehouse)


def send_every_kind(warehouse, rejected: int, accepted: int, pack_file) -> dict[str, str]:
    """One email of each kind, through the modules that compose them; kind -> status."""
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    [chaser] = send_reminders(warehouse, MONTH, "chaser", councils=[DUDLEY], now=now)
    [reminder] = send_reminders(warehouse, MONTH, "reminder", councils=[TAMWORTH], now=now)
    pack = sending.send_pack(warehouse, pack_summary(WOLVERHAMPTON, [accepted]), [pack_file])
    return {
        "rejection": notify_submission(warehouse, rejected, report(DUDLEY, failing=True)).status,
        "receipt": notify_submission(warehouse, accepted, report(WOLVERHAMPTON, failing=False)).status,
        "monthly_pack": pack.status,
        "return_reminder": reminder["status"],
        "return_chaser": chaser["status"],
        "month_summary": send_month_summary(warehouse, MONTH, [chaser], now=now)["status"],
    }


def test_every_email_kind_goes_through_the_one_outbox_once(month_world, mail_catcher, tmp_path):
    warehouse, rejected, accepted = month_world
    pack_file = tmp_path / "pack.html"
    pack_file.write_text("<!doctype html><title>How Wolverhampton compares</title>", encoding="utf-8")
    before = len(mail_catcher.messages)

    first = send_every_kind(warehouse, rejected, accepted, pack_file)

    assert first == dict.fromkeys(MONTH_WORLD_KINDS, "sent")
    mails = mail_catcher.messages[before:]
    assert sorted(m["X-Councilbench-Kind"] for m in mails) == sorted(MONTH_WORLD_KINDS)
    region = outbox.REGION_CODE
    rows = ledger(warehouse)
    assert [
        (kind, subject, period, sid, status, attempts) for kind, subject, period, sid, status, attempts, _ in rows
    ] == [
        ("month_summary", region, MONTH, None, "sent", 1),
        ("monthly_pack", WOLVERHAMPTON, MONTH, None, "sent", 1),
        ("receipt", WOLVERHAMPTON, MONTH, accepted, "sent", 1),
        ("rejection", DUDLEY, MONTH, rejected, "sent", 1),
        ("return_chaser", DUDLEY, MONTH, None, "sent", 1),
        ("return_reminder", TAMWORTH, MONTH, None, "sent", 1),
    ]
    assert sorted(r[-1] for r in rows) == sorted(m["Message-ID"] for m in mails)  # the ledger names what went

    # A rerun of everything (an Airflow retry, a rerun of the month) sends nothing.
    again = send_every_kind(warehouse, rejected, accepted, pack_file)
    assert again == dict.fromkeys(MONTH_WORLD_KINDS, "already_sent")
    assert len(mail_catcher.messages) == before + len(MONTH_WORLD_KINDS)
    assert ledger(warehouse) == rows


# --- the upgrade from two ledgers ----------------------------------------------------------------

#: The two ledgers as the code before the outbox created them (councilbench/warehouse/ddl.py
#: at the commit before it), frozen here: what an existing warehouse has.
OLD_LEDGERS = [
    """
    create table if not exists ops.notifications (
        submission_id   bigint not null references ops.submissions,
        kind            text not null check (kind in ('rejection', 'warning')),
        recipients      text[] not null,
        subject_line    text not null,
        status          text not null check (status in ('pending', 'sent', 'failed')),
        attempts        integer not null default 0,
        message_id      text,
        last_error      text,
        created_at      timestamptz not null default now(),
        sent_at         timestamptz,
        primary key (submission_id, kind)
    )
    """,
    "alter table ops.notifications drop constraint if exists notifications_kind_check",
    """alter table ops.notifications add constraint notifications_kind_check
       check (kind in ('rejection', 'warning', 'receipt'))""",
    """
    create table if not exists ops.report_sends (
        council_code    text not null,
        report_month    text not null,
        kind            text not null default 'monthly_pack' check (kind in ('monthly_pack')),
        recipients      text[] not null,
        subject_line    text not null,
        attachments     text[] not null default '{}',
        status          text not null check (status in ('pending', 'sent', 'failed')),
        attempts        integer not null default 0,
        message_id      text,
        last_error      text,
        created_at      timestamptz not null default now(),
        sent_at         timestamptz,
        primary key (council_code, report_month, kind)
    )
    """,
    "alter table ops.report_sends drop constraint if exists report_sends_kind_check",
    """alter table ops.report_sends add constraint report_sends_kind_check
       check (kind in ('monthly_pack', 'return_reminder', 'return_chaser', 'month_summary'))""",
]

SENT_AT = datetime(2026, 11, 3, 9, tzinfo=UTC)


def old_warehouse(warehouse) -> dict[str, int]:
    """A warehouse as the code before the outbox left it: the two ledgers with emails in
    them (sent, failed, pending, and a 'warning' from before receipts) and dbt's staging
    view over ops.notifications. Returns the submissions by name."""
    bootstrap.up(warehouse)
    with connect(warehouse, role="loader") as conn:
        conn.execute("drop table ops.outbox")
        for statement in OLD_LEDGERS:
            conn.execute(statement)
        sids = {
            "rejected": insert_submission(conn, report(DUDLEY, failing=True)),
            "accepted": insert_submission(conn, report(WOLVERHAMPTON, failing=False)),
            "warned": insert_submission(conn, report(TAMWORTH, failing=False)),
        }
        for sid, kind, status, attempts, error in [
            (sids["rejected"], "rejection", "sent", 1, None),
            (sids["warned"], "warning", "sent", 1, None),
            (sids["accepted"], "receipt", "failed", 2, "SMTPDataError: SMTP 451 try later"),
        ]:
            conn.execute(
                """insert into ops.notifications (submission_id, kind, recipients, subject_line, status, attempts,
                       message_id, last_error, sent_at) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                [
                    sid,
                    kind,
                    ["someone@council.example"],
                    f"{kind} email",
                    status,
                    attempts,
                    f"<submission-{sid}.{kind}@councilbench>" if status == "sent" else None,
                    error,
                    SENT_AT if status == "sent" else None,
                ],
            )
        for code, kind, status in [
            (DUDLEY, "monthly_pack", "sent"),
            (outbox.REGION_CODE, "month_summary", "sent"),
            (TAMWORTH, "return_reminder", "pending"),
        ]:
            conn.execute(
                """insert into ops.report_sends (council_code, report_month, kind, recipients, subject_line,
                       attachments, status, attempts, message_id, sent_at)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                [
                    code,
                    MONTH,
                    kind,
                    ["someone@council.example"],
                    f"{kind} email",
                    ["pack.pdf", "pack.html"] if kind == "monthly_pack" else [],
                    status,
                    1 if status == "sent" else 0,
                    f"<{kind}-{code}-{MONTH}@councilbench>" if status == "sent" else None,
                    SENT_AT if status == "sent" else None,
                ],
            )
        conn.commit()
    with connect(warehouse, role="transformer") as conn:
        conn.execute("create view staging.stg_ops__notifications as select * from ops.notifications")
        conn.commit()
    return sids


def test_db_up_moves_the_two_old_ledgers_into_the_outbox_and_nothing_sent_goes_again(fresh_database, mail_catcher):
    sids = old_warehouse(fresh_database)

    bootstrap.up(fresh_database)
    bootstrap.up(fresh_database)  # once moved, nothing is copied again

    with connect(fresh_database) as conn:
        left = conn.execute(
            """select to_regclass('ops.notifications'), to_regclass('ops.report_sends'),
                      to_regclass('staging.stg_ops__notifications')"""
        ).fetchone()
        assert left == (None, None, None)
        rows = conn.execute(
            """select kind, subject, period, submission_id, status, attempts, attachments, last_error,
                      sent_at is not null
               from ops.outbox order by kind collate "C", subject"""
        ).fetchall()
    assert rows == [
        ("month_summary", outbox.REGION_CODE, MONTH, None, "sent", 1, [], None, True),
        ("monthly_pack", DUDLEY, MONTH, None, "sent", 1, ["pack.pdf", "pack.html"], None, True),
        (
            "receipt",
            WOLVERHAMPTON,
            MONTH,
            sids["accepted"],
            "failed",
            2,
            [],
            "SMTPDataError: SMTP 451 try later",
            False,
        ),
        ("rejection", DUDLEY, MONTH, sids["rejected"], "sent", 1, [], None, True),
        ("return_reminder", TAMWORTH, MONTH, None, "pending", 0, [], None, False),
        ("warning", TAMWORTH, MONTH, sids["warned"], "sent", 1, [], None, True),
    ]

    # What went before the upgrade is refused as already sent, without composing anything.
    mails = len(mail_catcher.messages)
    rejection = notify_submission(fresh_database, sids["rejected"], report(DUDLEY, failing=True))
    assert (rejection.status, rejection.message_id) == (
        "already_sent",
        f"<submission-{sids['rejected']}.rejection@councilbench>",
    )
    assert sending.send_pack(fresh_database, {"council_code": DUDLEY, "month": MONTH}, []).status == "already_sent"
    assert send_month_summary(fresh_database, MONTH, [])["status"] == "already_sent"
    assert len(mail_catcher.messages) == mails
    # ... and what had failed is still owed: Airflow's retry sends it.
    with connect(fresh_database, role="loader") as conn:
        assert still_owed(conn, sids["accepted"], "receipt")
        assert not still_owed(conn, sids["rejected"], "rejection")
