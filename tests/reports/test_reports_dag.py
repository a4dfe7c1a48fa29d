"""The reports DAG through a real Airflow (dags test) on the test warehouse: scheduled on
the marts asset, it renders the annual reports and a council's pack under the state
folder and emails the pack to that council's contacts, once (ops.outbox)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import warehouse_data as wd
from councilbench.core import catalogue, settings
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow

MONTH = wd.HISTORY[-1]
REDDITCH = "E07000236"  # its January return was rejected, then resubmitted: accepted data only


@pytest.fixture(scope="module")
def env(reference_warehouse, state_dir, mail_catcher):
    wd.built_warehouse(reference_warehouse, state_dir)
    environment = airflow_environ(reference_warehouse)
    migrate(environment)
    return environment


def test_reports_dag_is_scheduled_on_the_marts():
    from airflow.dag_processing.dagbag import DagBag

    from councilbench.orchestration.assets import MARTS, REPORTS

    bag = DagBag(dag_folder=str(settings.dags_dir() / "reports.py"))
    assert bag.import_errors == {}
    dag = bag.dags["reports"]
    assert list(dag.timetable.asset_condition.objects) == [MARTS]
    assert [o for t in dag.tasks for o in (t.outlets or [])] == [REPORTS]


def test_reports_dag_renders_and_emails_once(env, reference_warehouse, mail_catcher):
    mail_catcher.clear()
    conf = ("-c", json.dumps({"month": MONTH, "councils": [REDDITCH]}))
    dags_test(env, "reports", *conf)
    reports = settings.state_path("reports")
    for name in ("performance-of-the-region-2025-26", "performance-of-the-region-2026-27-year-to-date"):
        for suffix in (".html", ".pdf"):
            assert (reports / f"{name}{suffix}").stat().st_size > 10_000
    short = catalogue.councils()[REDDITCH].short_name
    pack = reports / "packs" / MONTH / f"{short}.pdf"
    assert pack.read_bytes()[:5] == b"%PDF-"
    assert "How Redditch compares" in Path(pack.with_suffix(".html")).read_text(encoding="utf-8")

    [mail] = mail_catcher.caught
    assert {r.lower() for r in mail.rcpt_tos} == {c.email.lower() for c in catalogue.contacts()[REDDITCH]}
    assert mail.message["X-Councilbench-Council"] == REDDITCH

    # a rerun (HTML only, to be quick) sends nothing
    dags_test(env, "reports", "-c", json.dumps({"month": MONTH, "councils": [REDDITCH], "pdf": False}))
    assert len(mail_catcher.caught) == 1
    with connect(reference_warehouse, role="loader") as conn:
        assert conn.execute(
            """select status, attempts from ops.outbox
               where subject = %s and period = %s and submission_id is null""",
            [REDDITCH, MONTH],
        ).fetchall() == [("sent", 1)]
