"""run_month and backfill validate a batch of new files in one GX run, and leave the
warehouse exactly as processing each council-month on its own (process_return, month by
month) would: same ledger, check results, messages and raw rows, the
same month-on-month warnings across the months of one batch, the same supersessions.
And one council's failure (the platform's, not the council's) stops no other council.

Everything runs in this module's own databases (month on month would otherwise compare
with other modules' months in the session warehouse), and the files served are for
2011-2012, months no other test module serves.
"""

from __future__ import annotations

import uuid

import pytest

from councilbench.core import calendar, catalogue
from councilbench.dev import sample_returns as sample
from councilbench.ingest import expectations, lifecycle
from councilbench.ingest.fetch import RetryPolicy
from councilbench.returns import pipeline, previous
from councilbench.returns import validate as validation
from councilbench.returns.pipeline import (
    ReturnsRunError,
    backfill,
    process_return,
    run_month,
    summarise,
)
from councilbench.warehouse.connection import connect

FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=1, read_timeout=2)
DUDLEY, TAMWORTH, WARWICKSHIRE, HEREFORDSHIRE = "E08000027", "E07000199", "E10000031", "E06000019"
COUNCILS = [DUDLEY, TAMWORTH, WARWICKSHIRE, HEREFORDSHIRE]
MONTHS = ["2011-01", "2011-02", "2011-03", "2011-04"]  # March: annual and quarterly metrics too
#: month -> council -> faults; a council left out of a month has no file that month.
FILES = {
    "2011-01": {DUDLEY: [], TAMWORTH: [], WARWICKSHIRE: [], HEREFORDSHIRE: []},
    "2011-02": {
        DUDLEY: ["thousands_separators"],
        TAMWORTH: ["negative_count"],  # Tamworth's February rejected
        WARWICKSHIRE: [],
        HEREFORDSHIRE: ["month_on_month_jump"],
    },
    "2011-03": {
        DUDLEY: ["month_on_month_jump"],
        TAMWORTH: ["month_on_month_jump"],  # compares with January
        HEREFORDSHIRE: ["percent_signs"],
    },  # Warwickshire: no file
    "2011-04": {
        DUDLEY: ["numerator_above_denominator"],
        TAMWORTH: [],
        WARWICKSHIRE: ["month_on_month_jump"],
        HEREFORDSHIRE: ["html_error_page"],
    },
}


def serve(server, council_code: str, month: str, data: bytes) -> None:
    path = sample.return_path(server.folder, catalogue.councils()[council_code], month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def state(warehouse, months) -> dict:
    """Everything the pipeline leaves for these months, keyed by the file (not by ids)."""
    with connect(warehouse, role="loader") as conn:
        subs = conn.execute(
            """select submission_id, subject, period, sha256, status, outcome, rows_loaded, normalisations
               from ops.submissions where source_kind = 'council_return' and period = any(%s)""",
            [months],
        ).fetchall()
        out = {}
        for sid, subject, period, sha, status, outcome, rows_loaded, notes in subs:
            checks = conn.execute(
                """select check_name, severity, outcome, failing_row_count, failing_rows, message
                   from ops.check_results where submission_id = %s order by check_name""",
                [sid],
            ).fetchall()
            rows = conn.execute(
                """select row_number, council_code, return_period, metric_id, period, value, numerator, denominator,
                          status, note from raw.council_return_rows where submission_id = %s order by row_number""",
                [sid],
            ).fetchall()
            out[(subject, period, sha)] = {
                "status": status,
                "outcome": outcome,
                "rows_loaded": rows_loaded,
                "normalisations": notes,
                "checks": checks,
                "rows": rows,
            }
        fetches = conn.execute(
            """select subject, period, outcome, http_status from ops.fetch_attempts
               where period = any(%s) order by 1, 2, 3""",
            [months],
        ).fetchall()
    return {"submissions": out, "fetches": fetches}


@pytest.fixture(scope="module")
def warehouses(server):
    """Three new warehouses, dropped afterwards: two for the same files processed two
    ways, one for the other tests here."""
    from councilbench.warehouse import bootstrap

    names = [f"councilbench_backfill_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    warehouses = [server.with_database(n) for n in names]
    for wh in warehouses:
        bootstrap.up(wh)
    yield warehouses
    for wh in warehouses:
        bootstrap.drop_database(wh)


@pytest.fixture(scope="module")
def scratch(warehouses):
    return warehouses[2]


def test_backfill_leaves_the_warehouse_as_month_by_month_processing_does(warehouses, returns_server, monkeypatch):
    one_by_one, batched = warehouses[:2]
    # Both warehouses already hold an earlier file for Dudley's February, which the
    # backfill's file supersedes.
    serve(returns_server, DUDLEY, "2011-02", sample.faulted_bytes(DUDLEY, "2011-02", seed=1))
    for wh in (one_by_one, batched):
        assert (
            process_return(wh, DUDLEY, "2011-02", returns_base_url=returns_server.url, policy=FAST).status == "loaded"
        )
    for month, files in FILES.items():
        for code, faults in files.items():
            serve(returns_server, code, month, sample.faulted_bytes(code, month, faults))

    # The reference: each council-month on its own, month by month (what the DAG does).
    summaries = []
    for month in MONTHS:
        outcomes = [
            process_return(one_by_one, code, month, returns_base_url=returns_server.url, policy=FAST).as_dict()
            for code in COUNCILS
        ]
        summaries.append(summarise(outcomes, []))

    runs = []
    real_run_suite = expectations.run_suite
    monkeypatch.setattr(expectations, "run_suite", lambda *a, **kw: runs.append(1) or real_run_suite(*a, **kw))
    got = backfill(
        batched, MONTHS, councils=COUNCILS, returns_base_url=returns_server.url, months_per_batch=4, policy=FAST
    )
    assert len(runs) == 1  # four months, one GX run
    assert got == summaries
    assert state(batched, MONTHS) == state(one_by_one, MONTHS)

    # The month-on-month warnings crossed months inside the batch.
    with connect(batched, role="loader") as conn:
        warned = conn.execute(
            """select s.subject, s.period from ops.check_results c join ops.submissions s using (submission_id)
               where c.check_name = 'month_on_month' and c.outcome = 'warn' and s.period = any(%s) order by 1, 2""",
            [MONTHS],
        ).fetchall()
        statuses = conn.execute(
            """select subject, period, status from ops.submissions where period = any(%s) order by 1, 2, submission_id""",
            [MONTHS],
        ).fetchall()
    assert (DUDLEY, "2011-03") in warned and (HEREFORDSHIRE, "2011-02") in warned
    assert (DUDLEY, "2011-02", "superseded") in statuses and (DUDLEY, "2011-02", "loaded") in statuses
    assert (TAMWORTH, "2011-02", "rejected") in statuses and (HEREFORDSHIRE, "2011-04", "rejected") in statuses
    assert not any(s[:2] == (WARWICKSHIRE, "2011-03") for s in statuses)  # not received

    # Rerunning changes nothing (but the fetch log), whether as a backfill or a single month.
    before = state(batched, MONTHS)["submissions"]
    again = backfill(
        batched, MONTHS, councils=COUNCILS, returns_base_url=returns_server.url, months_per_batch=3, policy=FAST
    )
    assert [s["new_submissions"] for s in again] == [0, 0, 0, 0]
    run_month(batched, "2011-04", councils=COUNCILS, returns_base_url=returns_server.url, notify=False, policy=FAST)
    assert state(batched, MONTHS)["submissions"] == before

    # The figures the batch carried from month to month are the warehouse's own.
    with connect(batched, role="loader") as conn:
        figures = previous.previous_figures(conn, COUNCILS, "2011-01", "2011-04")
        for code in COUNCILS:
            for month in MONTHS:
                assert figures.get((code, month)) == previous.previous_values(conn, code, month), (code, month)


def test_run_month_validates_the_whole_month_in_one_gx_run(scratch, returns_server, monkeypatch):
    month = "2012-03"
    sample.write_returns(returns_server.folder, [month], faults={TAMWORTH: ["duplicate_rows"]})
    runs = []
    real_run_suite = expectations.run_suite
    monkeypatch.setattr(expectations, "run_suite", lambda *a, **kw: runs.append(1) or real_run_suite(*a, **kw))
    summary = run_month(scratch, month, returns_base_url=returns_server.url, notify=False, policy=FAST)
    assert len(runs) == 1
    assert (summary["councils"], summary["loaded"], summary["rejected"]) == (33, 32, 1)


def test_one_councils_platform_failure_stops_no_other_council(scratch, returns_server, monkeypatch):
    month = "2012-05"
    sample.write_returns(returns_server.folder, [month], councils=COUNCILS)
    real_validate, real_load = validation.validate_returns, lifecycle.copy_and_settle

    def validate_breaking_on_tamworth(items, **kw):
        if any(code == TAMWORTH for _, code, _ in items):
            raise RuntimeError("expectation could not run")  # e.g. a rule broken by one file's data
        return real_validate(items, **kw)

    def load_breaking_on_dudley(conn, kind, submission_id, rows):
        if set(rows["council_code"]) == {DUDLEY}:
            raise OSError("disk full")
        return real_load(conn, kind, submission_id, rows)

    monkeypatch.setattr(validation, "validate_returns", validate_breaking_on_tamworth)
    monkeypatch.setattr(lifecycle, "copy_and_settle", load_breaking_on_dudley)
    with pytest.raises(ReturnsRunError) as failure:
        run_month(scratch, month, councils=COUNCILS, returns_base_url=returns_server.url, notify=False, policy=FAST)
    assert "Tamworth Borough Council 2012-05: validation failed" in str(failure.value)
    assert "Dudley Metropolitan Borough Council 2012-05: recording and loading failed" in str(failure.value)
    with connect(scratch, role="loader") as conn:
        statuses = dict(
            conn.execute("select subject, status from ops.submissions where period = %s", [month]).fetchall()
        )
    assert statuses == {DUDLEY: "received", TAMWORTH: "received", WARWICKSHIRE: "loaded", HEREFORDSHIRE: "loaded"}

    # Fixed: a rerun finishes the two, and leaves the others as they were.
    monkeypatch.setattr(validation, "validate_returns", real_validate)
    monkeypatch.setattr(lifecycle, "copy_and_settle", real_load)
    summary = run_month(
        scratch, month, councils=COUNCILS, returns_base_url=returns_server.url, notify=False, policy=FAST
    )
    assert summary["loaded"] == 4 and summary["new_submissions"] == 0
    with connect(scratch, role="loader") as conn:
        assert set(conn.execute("select status from ops.submissions where period = %s", [month]).fetchall()) == {
            ("loaded",)
        }


def test_backfill_refuses_an_empty_batch_size(scratch):
    with pytest.raises(ValueError, match="months_per_batch"):
        backfill(scratch, ["2012-01"], months_per_batch=0)
    assert calendar.months_between("2011-11", "2012-02") == ["2011-11", "2011-12", "2012-01", "2012-02"]


def test_dag_steps_land_per_council_then_validate_the_month_at_once(scratch, returns_server, monkeypatch):
    """The DAG's tasks: land_return mapped over councils, then validate_landed once; an
    Airflow retry of the validation task redoes only what is still waiting."""
    month = "2012-07"
    sample.write_returns(returns_server.folder, [month], councils=COUNCILS, faults={TAMWORTH: ["negative_count"]})
    landed = [
        pipeline.land_return(scratch, code, month, returns_base_url=returns_server.url, policy=FAST).as_dict()
        for code in COUNCILS
    ]
    assert [(o["status"], o["new_submission"]) for o in landed] == [(None, True)] * 4
    with connect(scratch, role="loader") as conn:
        assert {s for (s,) in conn.execute("select status from ops.submissions where period = %s", [month])} == {
            "received"
        }

    real_load = lifecycle.copy_and_settle

    def load_breaking_on_dudley(conn, kind, submission_id, rows):
        if set(rows["council_code"]) == {DUDLEY}:
            raise OSError("disk full")
        return real_load(conn, kind, submission_id, rows)

    runs = []
    real_run_suite = expectations.run_suite
    monkeypatch.setattr(expectations, "run_suite", lambda *a, **kw: runs.append(1) or real_run_suite(*a, **kw))
    monkeypatch.setattr(lifecycle, "copy_and_settle", load_breaking_on_dudley)
    with pytest.raises(ReturnsRunError, match="Dudley Metropolitan Borough Council 2012-07: recording and loading"):
        pipeline.validate_landed(scratch, landed)
    assert len(runs) == 1
    monkeypatch.setattr(lifecycle, "copy_and_settle", real_load)
    outcomes = pipeline.validate_landed(scratch, landed)  # the retry: Dudley only
    assert len(runs) == 2
    by = {o["council_code"]: o for o in outcomes}
    assert {c: (o["status"], o["outcome"]) for c, o in by.items()} == {
        DUDLEY: ("loaded", "pass"),
        TAMWORTH: ("rejected", "fail"),
        WARWICKSHIRE: ("loaded", "pass"),
        HEREFORDSHIRE: ("loaded", "pass"),
    }
    assert all(o["rows_loaded"] > 0 for c, o in by.items() if c != TAMWORTH)
    # Once more (nothing left waiting): the recorded state, and no GX run.
    once_more = pipeline.validate_landed(scratch, landed)
    assert [(o["status"], o["outcome"], o["rows_loaded"]) for o in once_more] == [
        (o["status"], o["outcome"], o["rows_loaded"]) for o in outcomes
    ]
    assert len(runs) == 2
    summary = summarise(outcomes, [])
    assert (summary["loaded"], summary["rejected"], summary["new_submissions"]) == (3, 1, 4)
    # A rerun of the month lands nothing new and validates nothing.
    again = [
        pipeline.land_return(scratch, code, month, returns_base_url=returns_server.url, policy=FAST).as_dict()
        for code in COUNCILS
    ]
    assert all(o["status"] is not None for o in again)
    pipeline.validate_landed(scratch, again)
    assert len(runs) == 2
