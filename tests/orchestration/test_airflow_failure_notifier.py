"""The task-failure notifier, fired by a real failure: `airflow dags test reference_data`
with its warehouse connection pointing at a port nothing listens on. Every try fails
(the connection is refused); after the last one the platform team (COUNCILBENCH_OPS_EMAIL)
gets one email through smtp_default, at a real SMTP server, naming the task and the try.
The DAG integrity test checks every task carries the notifier; this checks it sends."""

from __future__ import annotations

import socket

import pytest

from councilbench.core import settings
from councilbench.orchestration.airflow_env import (
    airflow,
    airflow_environ,
    migrate,
    smtp_connection,
    warehouse_connection,
)
from councilbench.orchestration.dag_defaults import default_args
from councilbench.warehouse.connection import Warehouse

pytestmark = pytest.mark.airflow


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_task_that_fails_for_real_mails_the_platform_team_once(server, state_dir):
    from councilbench.dev.mailcatcher import start_catcher

    refusing = Warehouse(server.parts.replace(port=free_port()).url, "nothing listens there")
    with start_catcher(state_dir / "failure-notifier-mail") as mail:
        env = airflow_environ(refusing)
        env.update(
            {
                "AIRFLOW_CONN_WAREHOUSE": warehouse_connection(refusing),
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection("127.0.0.1", mail.port),
                "COUNCILBENCH_RETRY_DELAY_SECONDS": "1",  # the retries within seconds
            }
        )
        migrate(env)  # the session's metadata database
        run = airflow(env, "dags", "test", "reference_data", check=False, capture=True)
        messages = mail.messages

    assert "Connection refused" in run.stdout, run.stdout[-3000:]
    assert "DagRun failed" in run.stdout or "state=failed" in run.stdout.replace(" ", ""), run.stdout[-3000:]
    tries = 1 + default_args()["retries"]
    [message] = messages  # once, after the last try: not on every retry
    assert [a.addr_spec for a in message["To"].addresses] == [settings.ops_email()]
    assert message["Subject"] == f"[councilbench] reference_data.refresh_reference_data failed (try {tries})"
    body = message.get_body(("html",)).get_content()
    assert "<b>reference_data.refresh_reference_data</b> failed" in body and "in run manual__" in body
