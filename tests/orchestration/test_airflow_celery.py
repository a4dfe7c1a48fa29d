"""When one machine is not enough: the CeleryExecutor with Redis as broker and the metadata
database as result backend, and two Celery workers, under a real scheduler. Started
once for the module.

- the 33 mapped land_return tasks are spread over both workers and overlap in time (read
  from the task instances' hostnames, pids and start and end times);
- one worker killed with SIGKILL mid-month: its tasks are retried on the other, and the
  month ends with the same rows, checks and emails (rejections and receipts) as an
  undisturbed run of the same month (the in-process pipeline, on a database of its own,
  with its own SMTP server);
- /api/v2/monitor/health stays healthy throughout.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.orchestration.airflow_env import smtp_connection
from councilbench.orchestration.api import parse_time, wait_until
from councilbench.returns.pipeline import run_month
from councilbench.warehouse import bootstrap
from scheduler_tools import FAULTY, month_ledger, scheduler_world, tries
from warehouse_copy import copy_database

pytestmark = pytest.mark.airflow

PREVIOUS, SPREAD, KILLED = "2025-04", "2025-05", "2025-06"
BROKER = "redis://127.0.0.1:6379/13"  # a database of the machine's Redis for this module alone


@pytest.fixture(scope="module")
def world(reference_template, state_dir):
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    env = {
        "COUNCILBENCH_CELERY_BROKER_URL": BROKER,
        "COUNCILBENCH_CELERY_CONCURRENCY": "4",
        # A task the killed worker had taken but not started waits in Redis, unacknowledged,
        # until the scheduler requeues it after task_queued_timeout (180 s by default here):
        # a minute is plenty for a test whose tasks start within seconds.
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "60",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "10",
    }
    with scheduler_world(reference_template, state_dir, "celery", executor="celery", workers=2, env=env) as w:
        sample.write_returns(w.returns.folder, [PREVIOUS, SPREAD], faults=FAULTY)
        sample.write_returns(w.returns.folder, [KILLED], faults=FAULTY)
        assert run_month(w.warehouse, PREVIOUS, returns_base_url=w.returns.url, notify=False)["loaded"] == 33
        w.api.set_paused("council_returns", False)
        yield w


@pytest.fixture
def undisturbed(reference_template, world, state_dir):
    """The months the Airflow warehouse holds so far, then KILLED, through the in-process
    pipeline on a database of its own, emails to an SMTP server of its own: what an
    undisturbed run leaves behind."""
    from councilbench.dev.mailcatcher import start_catcher
    from councilbench.warehouse.connection import connect

    with connect(world.warehouse, role="loader") as conn:
        history = [
            m
            for (m,) in conn.execute(
                "select distinct period from ops.submissions where source_kind = "
                "'council_return' and period < %s order by 1",
                [KILLED],
            ).fetchall()
        ]
    wh = copy_database(reference_template, "celery_ref")
    previous = os.environ.get("AIRFLOW_CONN_SMTP_DEFAULT")
    try:
        with start_catcher(state_dir / "celery" / "reference-mail") as mail:
            os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = smtp_connection("127.0.0.1", mail.port)
            for month in history:
                run_month(wh, month, returns_base_url=world.returns.url, notify=False)
            run_month(wh, KILLED, returns_base_url=world.returns.url, notify=True)
            yield {
                "ledger": month_ledger(wh, KILLED),
                "mail": [(m["X-Councilbench-Council"], m["X-Councilbench-Kind"], m["Subject"]) for m in mail.messages],
            }
    finally:
        if previous is None:
            os.environ.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
        else:
            os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = previous
        bootstrap.drop_database(wh)


def _worker_of(hostname: str) -> str:
    return hostname.split("@", 1)[0]


def test_mapped_tasks_spread_over_both_workers_and_overlap(world):
    api = world.api
    run = api.trigger_month("council_returns", SPREAD)
    assert api.wait_for_run("council_returns", run["dag_run_id"], timeout=300)["state"] == "success"
    land = [t for t in tries(api, "council_returns", run["dag_run_id"], "land_return") if t["state"] == "success"]
    assert len(land) == 33
    by_worker: dict[str, list] = {}
    for t in land:
        by_worker.setdefault(_worker_of(t["hostname"]), []).append(t)
    assert set(by_worker) == {"celery-worker-1", "celery-worker-2"}
    assert all(len(v) >= 5 for v in by_worker.values()), {k: len(v) for k, v in by_worker.items()}
    assert len({(t["hostname"], t["pid"]) for t in land}) > 2

    def span(t):
        return parse_time(t["start_date"]), parse_time(t["end_date"])

    overlapping = [
        (a["map_index"], b["map_index"])
        for a in by_worker["celery-worker-1"]
        for b in by_worker["celery-worker-2"]
        if span(a)[0] < span(b)[1] and span(b)[0] < span(a)[1]
    ]
    assert overlapping, "tasks on the two workers never ran at the same time"


def test_a_worker_killed_mid_month_leaves_the_same_month_as_an_undisturbed_run(world, undisturbed):
    api, services = world.api, world.services
    before = len(world.mail.messages)
    run = api.trigger_month("council_returns", KILLED)

    def running_on_worker_1():
        return [
            t
            for t in api.task_instances("council_returns", run["dag_run_id"])
            if t["task_id"] == "land_return"
            and t["state"] == "running"
            and _worker_of(t.get("hostname") or "") == "celery-worker-1"
        ]

    wait_until(running_on_worker_1, timeout=120, poll=0.3, what="land_return running on celery-worker-1")
    killed_at = datetime.now(UTC)
    services.kill("celery-worker-1", signal.SIGKILL)
    final = api.wait_for_run("council_returns", run["dag_run_id"], timeout=600)
    assert final["state"] == "success"

    land = tries(api, "council_returns", run["dag_run_id"], "land_return")
    retried = [t for t in land if t["try_number"] >= 2 and t["state"] == "success"]
    assert retried, "a task cut short on the killed worker is retried"
    assert {_worker_of(t["hostname"]) for t in retried} == {"celery-worker-2"}
    assert all(parse_time(t["start_date"]) > killed_at for t in retried)

    assert month_ledger(world.warehouse, KILLED) == undisturbed["ledger"]
    sent = sorted(
        (m["X-Councilbench-Council"], m["X-Councilbench-Kind"], m["Subject"]) for m in world.mail.messages[before:]
    )
    assert sent == sorted(undisturbed["mail"])
    assert sorted(c for c, kind, _ in sent if kind == "rejection") == sorted(FAULTY)
    assert sorted(c for c, kind, _ in sent if kind == "receipt") == sorted(set(catalogue.councils()) - set(FAULTY))

    services.restart("celery-worker-1")  # back to two workers for whatever comes next
    services.wait_healthy()


def test_health_stayed_healthy_for_the_whole_module(world):
    world.health.stop()
    assert world.health.samples >= 5
    assert world.health.problems == []
    assert world.api.unhealthy() == []
    assert sorted(catalogue.councils()) == sorted({c for c, *_ in month_ledger(world.warehouse, KILLED)["submissions"]})
