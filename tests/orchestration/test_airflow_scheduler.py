"""The platform as it is deployed on one machine: the api-server, scheduler, dag-processor
and triggerer as separate processes (LocalExecutor), Airflow's metadata in PostgreSQL,
driven only through the REST API. Started once for the module.

- the timetable: with the due date just past, the scheduler itself creates the month's
  run for the right data interval, and the next one waits for the next due date;
- a month triggered through the REST API runs council_returns -> warehouse_build ->
  reports through their assets with no other trigger; the marts hold the month; every
  rejection, receipt and pack email goes exactly once; a rerun changes, sends and
  rebuilds nothing;
- the scheduler killed (SIGKILL, with its executor and running tasks) mid-month and
  restarted: the run completes and nothing is duplicated;
- return reminders and chasers through the scheduler, each email once, each to its own
  council;
- council spend files through council_spend under the scheduler: loaded or rejected,
  each council emailed once, suppliers resolved, and its asset rebuilds the spend marts;
- /api/v2/monitor/health stays healthy throughout (but for the scheduler while it is down
  on purpose).
"""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from councilbench.core import catalogue
from councilbench.core.calendar import ReturnsCalendar, month_text, shift_months
from councilbench.dev import sample_returns as sample
from councilbench.orchestration.api import (
    month_interval,
    parse_time,
    utcnow,
    wait_until,
)
from councilbench.returns import email_render
from councilbench.returns.pipeline import run_month
from councilbench.warehouse.connection import connect
from scheduler_tools import (
    FAULTY,
    contacts_of,
    month_ledger,
    recipients,
    runs_after,
    scheduler_world,
    tries,
)

pytestmark = pytest.mark.airflow

# The due date of the latest month is set just past: the scheduler must create its run.
DUE = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
CALENDAR = ReturnsCalendar(DUE.day, DUE.hour, DUE.minute)
SCHEDULED = month_text(shift_months(DUE, -1))  # the month whose due date just passed
MANUAL, KILLED = month_text(shift_months(DUE, -3)), month_text(shift_months(DUE, -2))
PREVIOUS = month_text(shift_months(DUE, -4))
CHAIN = ["council_returns", "warehouse_build", "reports"]


@pytest.fixture(scope="module")
def world(reference_template, state_dir):
    env = {
        "COUNCILBENCH_RETURNS_DUE_DAY": str(CALENDAR.due_day),
        "COUNCILBENCH_RETURNS_DUE_TIME": f"{CALENDAR.due_hour:02d}:{CALENDAR.due_minute:02d}",
    }
    with scheduler_world(reference_template, state_dir, "scheduler", env=env) as w:
        # Nothing is served for SCHEDULED: its run finds every return not received yet.
        # Faults go into the last month written: MANUAL, then KILLED.
        sample.write_returns(w.returns.folder, [PREVIOUS, MANUAL], faults=FAULTY)
        sample.write_returns(w.returns.folder, [KILLED], faults=FAULTY)
        assert run_month(w.warehouse, PREVIOUS, returns_base_url=w.returns.url, notify=False)["loaded"] == 33
        yield w


def pack_mails(world, month):
    return [
        m
        for m in world.mail.messages
        if m["X-Councilbench-Kind"] == "monthly_pack" and m["X-Councilbench-Month"] == month
    ]


def return_mails(world, month, kind):
    """The emails of this kind (rejection or receipt) about the month's returns."""
    return [
        m
        for m in world.mail.messages
        if m["X-Councilbench-Kind"] == kind and email_render.month_label(month) in m["Subject"]
    ]


def test_the_scheduler_creates_the_run_of_a_month_whose_due_date_has_passed(world):
    api = world.api
    api.set_paused("council_returns", False)
    run = wait_until(
        lambda: next((r for r in api.runs("council_returns") if r["run_type"] == "scheduled"), None),
        timeout=90,
        what="the scheduled council_returns run",
    )
    start, end = month_interval(SCHEDULED)
    assert parse_time(run["data_interval_start"]) == parse_time(start)
    assert parse_time(run["data_interval_end"]) == parse_time(end)
    assert parse_time(run["run_after"]) == CALENDAR.due(SCHEDULED) == DUE
    # The next run waits for the next month's due date.
    dag = api.dag("council_returns")
    assert parse_time(dag["next_dagrun_data_interval_start"]) == parse_time(end)
    assert parse_time(dag["next_dagrun_run_after"]) == CALENDAR.due(month_text(DUE))
    final = api.wait_for_run("council_returns", run["dag_run_id"], timeout=300)
    assert final["state"] == "success"
    # Nothing was served for the month: all 33 recorded as not received, nothing to build.
    with connect(world.warehouse, role="loader") as conn:
        not_received = conn.execute(
            """select count(distinct subject) from ops.fetch_attempts
                                       where period = %s and outcome = 'not_received'""",
            [SCHEDULED],
        ).fetchone()[0]
    assert not_received == 33
    announce = [
        t for t in api.task_instances("council_returns", run["dag_run_id"]) if t["task_id"] == "announce_new_files"
    ]
    assert [t["state"] for t in announce] == ["skipped"]
    assert [r["run_type"] for r in api.runs("council_returns")] == ["scheduled"]


def test_a_month_triggered_through_the_api_runs_the_asset_chain_and_emails_once(world):
    api, started = world.api, utcnow()
    for dag_id in CHAIN:
        api.set_paused(dag_id, False)
    run = api.trigger_month("council_returns", MANUAL)
    assert api.wait_for_run("council_returns", run["dag_run_id"], timeout=300)["state"] == "success"
    build = api.wait_for_new_run("warehouse_build", started, run_type="asset_triggered", timeout=120)
    assert api.wait_for_run("warehouse_build", build["dag_run_id"], timeout=600)["state"] == "success"
    reports = api.wait_for_new_run("reports", started, run_type="asset_triggered", timeout=120)
    assert api.wait_for_run("reports", reports["dag_run_id"], timeout=600)["state"] == "success"
    api.wait_until_idle(CHAIN, timeout=300)

    ledger = month_ledger(world.warehouse, MANUAL)
    statuses = {s: st for s, st, *_ in ledger["submissions"]}
    assert sorted(c for c, s in statuses.items() if s == "rejected") == sorted(FAULTY)
    assert sum(1 for s in statuses.values() if s == "loaded") == 30
    with connect(world.warehouse, role="analyst") as conn:
        in_marts = {
            r[0]
            for r in conn.execute(
                "select distinct council_code from marts.fct_metric_value where period = %s", [MANUAL]
            ).fetchall()
        }
    assert in_marts == set(catalogue.councils()) - set(FAULTY)

    rejections = return_mails(world, MANUAL, "rejection")
    assert sorted(m["X-Councilbench-Council"] for m in rejections) == sorted(FAULTY)
    receipts = return_mails(world, MANUAL, "receipt")  # every accepted return, once
    assert sorted(m["X-Councilbench-Council"] for m in receipts) == sorted(set(catalogue.councils()) - set(FAULTY))
    for m in rejections + receipts:
        assert recipients(m) == contacts_of(m["X-Councilbench-Council"])
    packs = pack_mails(world, MANUAL)
    assert Counter(m["X-Councilbench-Council"] for m in packs) == Counter(list(catalogue.councils()))
    for m in packs:
        assert recipients(m) == contacts_of(m["X-Councilbench-Council"])

    # A rerun of the month: nothing changes, nothing is sent, nothing is rebuilt.
    before, mails, rerun_started = ledger, len(world.mail.messages), utcnow()
    rerun = api.trigger("council_returns", {"period": MANUAL})
    assert api.wait_for_run("council_returns", rerun["dag_run_id"], timeout=300)["state"] == "success"
    api.wait_until_idle(CHAIN, timeout=120)
    assert month_ledger(world.warehouse, MANUAL) == before
    assert len(world.mail.messages) == mails
    assert runs_after(api, "warehouse_build", rerun_started) == []


def test_the_scheduler_killed_mid_month_and_restarted_completes_it_once(world):
    api, services = world.api, world.services
    # The rebuild and the packs the month's asset schedules were shown by the test above; the
    # kill is about the month's loads and emails (the spend test below unpauses the build).
    api.set_paused("warehouse_build", True)
    api.set_paused("reports", True)
    run = api.trigger_month("council_returns", KILLED)
    running = wait_until(
        lambda: [
            t
            for t in api.task_instances("council_returns", run["dag_run_id"])
            if t["task_id"] == "land_return" and t["state"] == "running"
        ],
        timeout=120,
        poll=0.5,
        what="land_return tasks running",
    )
    assert running
    with world.health.expect_down("scheduler"):
        services.kill("scheduler", signal.SIGKILL)  # the scheduler, its executor and their tasks
        services.restart("scheduler")
        services.wait_healthy(timeout=120)
    final = api.wait_for_run("council_returns", run["dag_run_id"], timeout=600)
    assert final["state"] == "success"
    api.wait_until_idle(["council_returns"], timeout=900)

    land = tries(api, "council_returns", run["dag_run_id"], "land_return")
    assert max(t["try_number"] for t in land) >= 2, "the kill should have cut running tasks short"
    ledger = month_ledger(world.warehouse, KILLED)
    per_council = Counter(s for s, *_ in ledger["submissions"])
    assert per_council == Counter(list(catalogue.councils()))  # one file each, none twice
    statuses = {s: st for s, st, *_ in ledger["submissions"]}
    assert sorted(c for c, s in statuses.items() if s == "rejected") == sorted(FAULTY)
    rows_loaded = sum(r or 0 for *_, r in ledger["submissions"])
    assert len(ledger["rows"]) == rows_loaded and len(set(ledger["rows"])) == rows_loaded
    assert len({(c, name) for c, name, *_ in ledger["checks"]}) == len(ledger["checks"])
    # One email per council: a rejection for each faulty return, a receipt for each other.
    assert Counter(c for c, *_ in ledger["emails"]) == Counter(list(catalogue.councils()))
    assert sorted(c for c, kind, *_ in ledger["emails"] if kind == "rejection") == sorted(FAULTY)
    for kind, councils in (("rejection", set(FAULTY)), ("receipt", set(catalogue.councils()) - set(FAULTY))):
        assert Counter(m["X-Councilbench-Council"] for m in return_mails(world, KILLED, kind)) == Counter(councils)
    assert len({m["Message-ID"] for m in world.mail.messages}) == len(world.mail.messages)


def test_reminders_and_chasers_go_once_to_each_councils_own_contacts(world):
    api = world.api
    api.set_paused("return_reminders", False)
    before = len(world.mail.messages)
    chaser = api.trigger("return_reminders", {"period": KILLED, "kind": "chaser"})
    assert api.wait_for_run("return_reminders", chaser["dag_run_id"], timeout=300)["state"] == "success"
    reminder = api.trigger("return_reminders", {"period": SCHEDULED, "kind": "reminder"})
    assert api.wait_for_run("return_reminders", reminder["dag_run_id"], timeout=300)["state"] == "success"
    new = world.mail.messages[before:]
    chasers = [m for m in new if m["X-Councilbench-Kind"] == "return_chaser"]
    assert sorted(m["X-Councilbench-Council"] for m in chasers) == sorted(FAULTY)  # rejected, never corrected
    reminders = [m for m in new if m["X-Councilbench-Kind"] == "return_reminder"]
    assert sorted(m["X-Councilbench-Council"] for m in reminders) == sorted(catalogue.councils())  # none received
    for m in chasers + reminders:
        code = m["X-Councilbench-Council"]
        assert recipients(m) == contacts_of(code)
        [attachment] = list(m.iter_attachments())
        template = attachment.get_content()
        assert template.splitlines()[0].startswith("council_code,period,metric_id")
        assert {line.split(",")[0] for line in template.splitlines()[1:]} == {code}
    [summary] = [m for m in new if m["X-Councilbench-Kind"] == "month_summary"]
    assert "30 loaded, 3 rejected, 0 missing" in summary["Subject"]
    # Again: nothing is sent twice.
    again = api.trigger("return_reminders", {"period": KILLED, "kind": "chaser"})
    assert api.wait_for_run("return_reminders", again["dag_run_id"], timeout=300)["state"] == "success"
    assert len(world.mail.messages) == before + len(new)


SPEND_COUNCILS = {"E10000028": [], "E06000051": [], "E08000027": ["amounts_as_text"]}  # Staffs, Shropshire, Dudley


def test_spend_files_through_the_scheduler_load_email_and_rebuild_the_spend_marts(world):
    from councilbench.dev import sample_spend

    api, started = world.api, utcnow()
    faults = {code: f for code, f in SPEND_COUNCILS.items() if f}
    sample_spend.write(world.returns.folder / "spend", [SCHEDULED], list(SPEND_COUNCILS), scale=0.01, faults=faults)
    before = len(world.mail.messages)
    # The build runs on the spend asset (and on the month the kill test loaded); the reports
    # it would render are the first test's business: paused since the kill test.
    api.set_paused("warehouse_build", False)
    # The run the scheduler would make for the month due (so unpausing makes no second one).
    run = api.trigger_due_run("council_spend", {"councils": list(SPEND_COUNCILS)})
    api.set_paused("council_spend", False)
    assert api.wait_for_run("council_spend", run["dag_run_id"], timeout=300)["state"] == "success"
    build = api.wait_for_new_run("warehouse_build", started, run_type="asset_triggered", timeout=120)
    assert api.wait_for_run("warehouse_build", build["dag_run_id"], timeout=600)["state"] == "success"
    api.wait_until_idle(["council_spend", "warehouse_build"], timeout=600)

    with connect(world.warehouse, role="loader") as conn:
        statuses = dict(
            conn.execute(
                "select subject, status from ops.submissions where source_kind = 'council_spend' and period = %s",
                [SCHEDULED],
            ).fetchall()
        )
        raw = dict(
            conn.execute(
                """select l.council_code, count(*) from raw.council_spend_lines as l
                   join ops.submissions as s using (submission_id) where s.status = 'loaded' group by 1"""
            ).fetchall()
        )
        matched = conn.execute("select count(*) from raw.spend_supplier_matches").fetchone()[0]
    assert statuses == {c: ("rejected" if f else "loaded") for c, f in SPEND_COUNCILS.items()}
    with connect(world.warehouse, role="analyst") as conn:
        marts = dict(conn.execute("select council_code, count(*) from marts.fct_spend_line group by 1").fetchall())
        quality = dict(
            conn.execute(
                "select council_code, file_status from marts.mart_spend_quality where spend_period = %s", [SCHEDULED]
            ).fetchall()
        )
    assert marts == raw and set(raw) == {c for c, f in SPEND_COUNCILS.items() if not f} and matched > 0
    assert quality["E08000027"] == "rejected" and quality["E10000028"] == "loaded"
    spend_mails = [m for m in world.mail.messages[before:] if m["X-Councilbench-Source"] == "council_spend"]
    assert Counter((m["X-Councilbench-Council"], m["X-Councilbench-Kind"]) for m in spend_mails) == Counter(
        (c, "rejection" if f else "receipt") for c, f in SPEND_COUNCILS.items()
    )
    for m in spend_mails:
        assert recipients(m) == contacts_of(m["X-Councilbench-Council"])


def test_a_second_airflow_on_the_same_metadata_database_is_refused(world):
    from councilbench.orchestration.services import AirflowServices

    metadata = world.services.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    second = AirflowServices(world.warehouse, port=None, env={"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata})
    with pytest.raises(RuntimeError, match="already running on the metadata database"):
        second.start()
    assert all(c.proc is None for c in second.components.values())  # nothing was started


def test_health_stayed_healthy_for_the_whole_module(world):
    world.health.stop()
    assert world.health.samples >= 10
    assert world.health.problems == []
    assert world.api.unhealthy() == []
