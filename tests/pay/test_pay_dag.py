"""The council_pay DAG through `airflow dags test` (in-process, no scheduler), as a manual
run on deposit: one council's deposit loads and gets a receipt, another's is rejected and
told what to fix, the asset is announced; a rerun changes nothing, sends nothing and
announces nothing."""

from __future__ import annotations

import json

import pytest
from pay_deposit_files import as_csv, good_posts, write

from councilbench.core import catalogue
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.orchestration.assets import COUNCIL_PAY
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow

YEAR = "2023-24"  # a year no other module deposits into the session warehouse
COUNCILS = ["dudley", "walsall"]


def code(name: str) -> str:
    return catalogue.find_council(name).code


def state(warehouse) -> dict:
    with connect(warehouse, role="loader") as conn:
        return {
            "files": conn.execute(
                """select subject, status from ops.submissions
                   where source_kind = 'council_pay' and period = %s and subject = any(%s) order by 1""",
                [YEAR, [code(c) for c in COUNCILS]],
            ).fetchall(),
            "posts": conn.execute(
                """select council_code, count(*) from raw.council_pay_posts where pay_year = %s
                   and council_code = any(%s) group by 1 order by 1""",
                [YEAR, [code(c) for c in COUNCILS]],
            ).fetchall(),
        }


def asset_events(env) -> int:
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg://", "postgresql://", 1)
    with connect(metadata) as conn:
        return conn.execute(
            """select count(*) from asset_event e join asset a on a.id = e.asset_id
               where a.uri = %s and e.source_dag_id = 'council_pay'""",
            [COUNCIL_PAY.uri],
        ).fetchone()[0]


@pytest.fixture(scope="module")
def env(reference_warehouse, returns_server, mail_catcher):
    folder = returns_server.folder / "pay-dag"
    good = good_posts("dudley", YEAR)
    write(folder, "dudley", YEAR, as_csv(good))
    walsall = good_posts("walsall", YEAR)
    write(folder, "walsall", YEAR, as_csv([*walsall, walsall[0]]))  # a post twice
    environment = airflow_environ(reference_warehouse)
    environment["COUNCILBENCH_PAY_BASE_URL"] = f"{returns_server.url}/pay-dag"
    migrate(environment)
    return environment, good


def test_a_manual_run_loads_rejects_emails_and_announces_once(env, reference_warehouse, mail_catcher):
    environment, good = env
    mail_catcher.clear()
    conf = ("-c", json.dumps({"pay_year": YEAR, "councils": COUNCILS}))
    dags_test(environment, "council_pay", *conf)
    first = state(reference_warehouse)
    assert first == {
        "files": sorted([(code("dudley"), "loaded"), (code("walsall"), "rejected")]),
        "posts": [(code("dudley"), len(good))],
    }
    kinds = sorted((m["X-Councilbench-Council"], m["X-Councilbench-Kind"]) for m in mail_catcher.messages)
    assert kinds == sorted([(code("dudley"), "receipt"), (code("walsall"), "rejection")])
    assert asset_events(environment) == 1

    dags_test(environment, "council_pay", *conf)  # nothing new: no email, no asset event
    assert state(reference_warehouse) == first
    assert len(mail_catcher.messages) == 2 and asset_events(environment) == 1
