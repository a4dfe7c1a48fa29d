"""The council_spend DAG through `airflow dags test` (in-process, no scheduler): a month
that ends a quarter, so a monthly publisher's month and a quarterly publisher's quarter
are both due; one council's file is rejected and emailed, the others load and get a
receipt; the asset is announced; a rerun changes nothing, sends nothing, announces
nothing."""

from __future__ import annotations

import json

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.orchestration.assets import COUNCIL_SPEND
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow

MONTH = "2026-03"
COUNCILS = ["dudley", "herefordshire", "walsall"]  # monthly csv, quarterly workbook, monthly
FAULTS = {"walsall": ["other_council"]}


def code(name: str) -> str:
    return catalogue.find_council(name).code


def state(warehouse) -> dict:
    codes = [code(c) for c in COUNCILS]
    with connect(warehouse, role="loader") as conn:
        return {
            "files": conn.execute(
                """select subject, period, status from ops.submissions
                   where source_kind = 'council_spend' and subject = any(%s) and period in ('2026-03', '2026-Q1')
                   order by 1, 2""",
                [codes],
            ).fetchall(),
            "lines": conn.execute(
                """select council_code, spend_period, count(*), sum(net_amount) from raw.council_spend_lines
                   where council_code = any(%s) and spend_period in ('2026-03', '2026-Q1') group by 1, 2 order by 1, 2""",
                [codes],
            ).fetchall(),
        }


def asset_events(env) -> int:
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg://", "postgresql://", 1)
    with connect(metadata) as conn:
        return conn.execute(
            """select count(*) from asset_event e join asset a on a.id = e.asset_id
               where a.uri = %s and e.source_dag_id = 'council_spend'""",
            [COUNCIL_SPEND.uri],
        ).fetchone()[0]


@pytest.fixture(scope="module")
def env(reference_warehouse, returns_server, mail_catcher):
    folder = returns_server.folder / "spend-dag"
    sample = sample_spend.write(folder, [MONTH], COUNCILS, faults=FAULTS, scale=0.01)
    environment = airflow_environ(reference_warehouse)
    environment["COUNCILBENCH_SPEND_BASE_URL"] = f"{returns_server.url}/spend-dag"
    migrate(environment)
    return environment, sample


def conf() -> tuple[str, str]:
    return "-c", json.dumps({"period": MONTH, "councils": COUNCILS})


def test_dag_loads_due_files_emails_councils_and_announces_the_asset(env, reference_warehouse, mail_catcher):
    environment, sample = env
    mail_catcher.clear()
    dags_test(environment, "council_spend", *conf())
    first = state(reference_warehouse)
    assert first["files"] == sorted(
        [(code("dudley"), "2026-03", "loaded"), (code("herefordshire"), "2026-Q1", "loaded"),
         (code("walsall"), "2026-03", "rejected")]
    )  # fmt: skip
    truth = {(f.council_code, f.period): f for f in sample.files}
    assert [(c, p, n) for c, p, n, _ in first["lines"]] == [
        (c, p, len(truth[(c, p)].lines)) for c, p, s in first["files"] if s == "loaded"
    ]
    assert asset_events(environment) == 1
    # Before announcing, every loaded line's supplier and expense were resolved into raw.
    with connect(reference_warehouse, role="loader") as conn:
        unresolved = conn.execute(
            """select count(*) from raw.council_spend_lines l join ops.submissions s using (submission_id)
               where s.status = 'loaded' and not l.redacted and not exists (
                   select 1 from raw.spend_supplier_matches m where m.raw_name = coalesce(l.supplier_name, ''))"""
        ).fetchone()[0]
        categorised = conn.execute("select count(*) from raw.spend_line_categories").fetchone()[0]
    assert unresolved == 0 and categorised > 0
    kinds = sorted((m["X-Councilbench-Council"], m["X-Councilbench-Kind"]) for m in mail_catcher.messages)
    assert kinds == sorted(
        [(code("dudley"), "receipt"), (code("herefordshire"), "receipt"), (code("walsall"), "rejection")]
    )

    # A rerun: nothing new recorded, no email, no asset event (nothing for dbt to rebuild).
    dags_test(environment, "council_spend", *conf())
    assert state(reference_warehouse) == first
    assert len(mail_catcher.messages) == 3
    assert asset_events(environment) == 1


def test_a_month_inside_a_quarter_asks_nothing_of_a_quarterly_publisher():
    from councilbench.spend.pipeline import plan

    assert plan("2026-02", ["dudley", "herefordshire"]) == [{"council_code": code("dudley"), "period": "2026-02"}]
    assert sorted(p["period"] for p in plan(MONTH, ["dudley", "herefordshire"])) == ["2026-03", "2026-Q1"]
