"""The council_returns DAG through `airflow dags test` (the debugging path; the real
scheduler runs it in tests/orchestration/test_airflow_scheduler.py): one month for all 33
councils with three faulty returns; then one rerun for a few councils, which loads
Dudley's corrected resubmission and sends its receipt, and changes nothing and sends
nothing for the files that did not change (rejected or loaded)."""

from __future__ import annotations

import json

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.returns.pipeline import run_month
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow

MONTH, PREVIOUS = "2026-10", "2026-09"
DUDLEY = "E08000027"
FAULTY = {
    DUDLEY: ["numerator_above_denominator"],
    "E07000199": ["html_error_page"],  # Tamworth
    "E10000031": ["missing_required"],
}  # Warwickshire
#: The rerun: Dudley (corrected), the two other rejected files and a loaded one (Wolverhampton).
RERUN = [*FAULTY, "E08000031"]


def state(warehouse):
    """Everything a rerun must leave alone: ledger, rows, checks and sends for the month."""
    with connect(warehouse, role="loader") as conn:
        return {
            "submissions": conn.execute(
                "select subject, status, sha256 from ops.submissions where source_kind = 'council_return' and period = %s order by 1, 3",
                [MONTH],
            ).fetchall(),
            "rows": conn.execute(
                "select council_code, count(*), sum(coalesce(value, 0)) from raw.council_return_rows where return_period = %s group by 1 order by 1",
                [MONTH],
            ).fetchall(),
            "checks": conn.execute(
                "select subject, count(*) from ops.check_results join ops.submissions using (submission_id)"
                " where period = %s group by 1 order by 1",
                [MONTH],
            ).fetchall(),
            "emails": conn.execute(
                "select subject, kind, status from ops.outbox where submission_id is not null and period = %s order by 1",
                [MONTH],
            ).fetchall(),
        }


@pytest.fixture(scope="module")
def env(reference_warehouse, returns_server, mail_catcher):
    sample.write_returns(returns_server.folder, [PREVIOUS, MONTH], faults=FAULTY)
    # Last month through the same code without a scheduler (the backfill path).
    assert run_month(reference_warehouse, PREVIOUS, returns_base_url=returns_server.url, notify=False)["loaded"] == 33
    environment = airflow_environ(reference_warehouse)
    environment["COUNCILBENCH_RETURNS_BASE_URL"] = returns_server.url
    migrate(environment)
    return environment


def month_conf(**extra) -> tuple[str, str]:
    return "-c", json.dumps({"period": MONTH, **extra})


def without_dudley(rows: list[tuple]) -> list[tuple]:
    return [r for r in rows if r[0] != DUDLEY]


def test_month_end_to_end_then_a_rerun_with_a_correction(env, reference_warehouse, returns_server, mail_catcher):
    mail_catcher.clear()
    dags_test(env, "council_returns", *month_conf())
    first = state(reference_warehouse)
    statuses = {subject: status for subject, status, _ in first["submissions"]}
    assert len(statuses) == 33
    assert sorted(c for c, s in statuses.items() if s == "rejected") == sorted(FAULTY)
    assert sum(1 for s in statuses.values() if s == "loaded") == 30
    assert {c for c, *_ in first["rows"]} == set(catalogue.councils()) - set(FAULTY)

    # One email per council, to its own contacts only: what to fix for the three faulty
    # returns, a receipt of what was loaded for the other thirty.
    assert sorted(m["X-Councilbench-Council"] for m in mail_catcher.messages) == sorted(catalogue.councils())
    for message in mail_catcher.messages:
        council = message["X-Councilbench-Council"]
        to = {a.split("<")[-1].strip(" >") for a in message["To"].split(",")}
        assert to == {c.email for c in catalogue.contacts()[council]}
        body = message.get_body(("plain",)).get_content()
        if council not in FAULTY:
            assert message["X-Councilbench-Kind"] == "receipt" and "What we loaded" in body
            continue
        assert message["X-Councilbench-Kind"] == "rejection"
        assert "REJECTED" in body and "How to resubmit" in body
        if council == DUDLEY:  # a row-level fault names the row
            assert "Row " in body and "numerator" in body

    # Dudley sends a corrected file; the month is rerun for RERUN only. Dudley's new file
    # loads and gets its receipt; the unchanged files (two rejected, one loaded) are not
    # recorded again, and nothing of theirs changes: no row, no check, no email.
    path = sample.return_path(returns_server.folder, catalogue.councils()[DUDLEY], MONTH)
    path.write_bytes(sample.faulted_bytes(DUDLEY, MONTH))
    dags_test(env, "council_returns", *month_conf(councils=RERUN))
    after = state(reference_warehouse)
    for part in ("submissions", "rows", "checks", "emails"):
        assert without_dudley(after[part]) == without_dudley(first[part]), part
    assert sorted(s for c, s, _ in after["submissions"] if c == DUDLEY) == ["loaded", "rejected"]
    assert DUDLEY in {c for c, *_ in after["rows"]}
    assert dict(after["checks"])[DUDLEY] > dict(first["checks"])[DUDLEY]  # the new file's checks too
    [receipt] = mail_catcher.messages[33:]  # the corrected file's receipt, and nothing else
    assert (receipt["X-Councilbench-Council"], receipt["X-Councilbench-Kind"]) == (DUDLEY, "receipt")
