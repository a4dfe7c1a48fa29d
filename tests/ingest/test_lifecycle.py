"""A third source kind needs no change to ingest/: this test declares one of its own (a
team headcount file: a trivial CSV, a raw table the test creates, a two-expectation GX
suite held in memory) and runs it through the lifecycle against the real PostgreSQL and
Great Expectations: landed and in the ledger, its checks recorded, a bad file rejected
and quarantined with nothing loaded, a good file COPYed and settled, a second good file
superseding the first, and the same bytes again changing nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from councilbench.core import settings
from councilbench.ingest import expectations, lifecycle
from councilbench.ingest.checks import Verdict, overall
from councilbench.ingest.kind import Outcome, Pending, SourceKind, Target
from councilbench.ingest.raw import RawTable
from councilbench.warehouse.connection import connect

HEADCOUNT_ROWS = RawTable(
    "raw.test_team_headcount", columns=("row_number", "team", "headcount"), numbers=("headcount",)
)

SUITE = {
    "name": "team_headcount",
    "expectations": [
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "team"},
            "meta": {"check": "team_named", "notes": "every row names its team"},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "headcount", "min_value": 0, "max_value": {"$PARAMETER": "largest_team"}},
            "meta": {"check": "headcount_plausible", "notes": "a headcount from 0 to the largest team there is"},
        },
    ],
}


def read_headcount(landed, target: Target):
    import pandas as pd

    return pd.read_csv(landed.path)


def validate_headcount(items: list[Pending], context) -> list[Verdict]:
    verdicts = []
    for p in items:
        frame = p.parsed
        checks = expectations.validate_frame(frame, SUITE, {"largest_team": 500})
        rows = frame.assign(row_number=range(1, len(frame) + 1)) if overall(checks) != "fail" else None
        verdicts.append(Verdict(checks, rows=rows))
    return verdicts


TEAM_HEADCOUNT = SourceKind(
    name="team_headcount",
    raw_table=HEADCOUNT_ROWS,
    parse=read_headcount,
    validate=validate_headcount,
)


@pytest.fixture(scope="module")
def headcount_table(server):
    """A database of its own (the throwaway kind must not reach the session warehouse's
    ledger and marts), with the kind's own raw table created by the loader (as the
    platform's own are)."""
    from councilbench.warehouse import bootstrap

    warehouse = server.with_database(f"councilbench_kind_{uuid.uuid4().hex[:8]}")
    bootstrap.up(warehouse)
    with connect(warehouse, role="loader") as conn:
        conn.execute(
            """create table raw.test_team_headcount (
                   submission_id bigint not null references ops.submissions,
                   row_number integer not null,
                   team text not null,
                   headcount numeric,
                   primary key (submission_id, row_number))"""
        )
        conn.commit()
    yield warehouse
    bootstrap.drop_database(warehouse)


def query(warehouse, sql: str, params=()) -> list[tuple]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(sql, params).fetchall()


def test_a_kind_declared_outside_ingest_runs_the_whole_lifecycle(headcount_table, tmp_path):
    warehouse = headcount_table
    source = tmp_path / "teams" / "2026-01.csv"
    source.parent.mkdir()
    team = Target("planning", "2026-01", str(source), label="Planning team")

    def serve(text: str) -> None:
        source.write_text(text, encoding="utf-8")

    def ledger() -> list[tuple]:
        return query(
            warehouse,
            """select submission_id, status, outcome, rows_loaded from ops.submissions
               where source_kind = 'team_headcount' and subject = 'planning' order by submission_id""",
        )

    # A good file: landed, in the ledger, checked, COPYed and settled.
    serve("team,headcount\nplans,12\nenforcement,7\nappeals,3\n")
    first = lifecycle.process(warehouse, TEAM_HEADCOUNT, team)
    assert (first.fetch, first.status, first.outcome, first.rows_loaded) == ("received", "loaded", "pass", 3)
    assert first.new_submission and first.checks == {"team_named": "pass", "headcount_plausible": "pass"}
    [(sha, path, name)] = query(
        warehouse,
        "select sha256, landing_path, original_name from ops.submissions where submission_id = %s",
        [first.submission_id],
    )
    assert Path(path).read_bytes() == source.read_bytes() and Path(path).name == sha and name == "2026-01.csv"
    assert oct(Path(path).stat().st_mode)[-3:] == "444"  # landed read-only
    assert query(
        warehouse,
        "select outcome, submission_id from ops.fetch_attempts where source_kind = 'team_headcount'",
    ) == [("received", first.submission_id)]
    assert query(
        warehouse,
        "select check_name, severity, outcome from ops.check_results where submission_id = %s order by 1",
        [first.submission_id],
    ) == [("headcount_plausible", "fail", "pass"), ("team_named", "fail", "pass")]
    assert query(
        warehouse,
        "select row_number, team, headcount::float from raw.test_team_headcount where submission_id = %s order by 1",
        [first.submission_id],
    ) == [(1, "plans", 12.0), (2, "enforcement", 7.0), (3, "appeals", 3.0)]

    # A bad file: rejected (outcome fail, nothing loaded), its checks say which rows, and a
    # link to it under quarantine/; the loaded file stays loaded.
    serve("team,headcount\nplans,12\n,7\nappeals,9000\n")
    bad = lifecycle.process(warehouse, TEAM_HEADCOUNT, team)
    assert (bad.status, bad.outcome, bad.rows_loaded) == ("rejected", "fail", 0)
    assert bad.message.startswith("team_named: 1 row fails team_named: every row names its team")
    assert "headcount_plausible: 1 row fails headcount_plausible" in bad.message
    assert ledger() == [(first.submission_id, "loaded", "pass", 3), (bad.submission_id, "rejected", "fail", 0)]
    failing = dict(
        query(
            warehouse,
            "select check_name, failing_rows from ops.check_results where submission_id = %s and outcome = 'fail'",
            [bad.submission_id],
        )
    )
    assert failing["team_named"] == [{"row": 2, "team": None, "headcount": 7}]
    assert failing["headcount_plausible"] == [{"row": 3, "team": "appeals", "headcount": 9000}]
    assert query(
        warehouse, "select count(*) from raw.test_team_headcount where submission_id = %s", [bad.submission_id]
    ) == [(0,)]
    quarantined = Path(bad.quarantined)
    assert quarantined.parent == settings.state_path("quarantine") / "planning" / "2026-01"
    assert quarantined.read_bytes() == source.read_bytes()

    # The same bad bytes again: the same ledger row, decided, not redone.
    again = lifecycle.process(warehouse, TEAM_HEADCOUNT, team)
    assert (again.submission_id, again.status, again.recorded_now) == (bad.submission_id, "rejected", False)
    assert again.message == f"the same file as submission {bad.submission_id} (rejected): nothing to do"

    # A corrected file supersedes the first; both files' rows stay in raw.
    serve("team,headcount\nplans,13\nenforcement,7\nappeals,4\n")
    second = lifecycle.process(warehouse, TEAM_HEADCOUNT, team)
    assert (second.status, second.outcome, second.rows_loaded) == ("loaded", "pass", 3)
    assert ledger() == [
        (first.submission_id, "superseded", "pass", 3),
        (bad.submission_id, "rejected", "fail", 0),
        (second.submission_id, "loaded", "pass", 3),
    ]
    assert query(
        warehouse, "select submission_id, sum(headcount)::float from raw.test_team_headcount group by 1 order by 1"
    ) == [(first.submission_id, 22.0), (second.submission_id, 24.0)]
    assert len(query(warehouse, "select 1 from ops.fetch_attempts where source_kind = 'team_headcount'")) == 4


def serve_teams(folder: Path, period: str, teams: dict[str, str]) -> list[Target]:
    targets = []
    for subject, text in teams.items():
        path = folder / subject / f"{period}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        targets.append(Target(subject, period, str(path), label=f"{subject} team"))
    return targets


def statuses(warehouse, period: str) -> dict[str, str]:
    return dict(
        query(
            warehouse,
            "select subject, status from ops.submissions where source_kind = 'team_headcount' and period = %s",
            [period],
        )
    )


def test_a_batch_is_validated_in_one_call_and_one_targets_failure_stops_no_other(headcount_table, tmp_path):
    warehouse = headcount_table
    targets = serve_teams(
        tmp_path,
        "2026-02",
        {
            "housing": "team,headcount\nlettings,20\n",
            "waste": "team,headcount\nrounds,80\n",
            "parks": "team,headcount\n",
        },
    )
    calls = []

    def breaking_on_waste(items, context):
        calls.append([p.target.subject for p in items])
        if any(p.target.subject == "waste" for p in items):
            raise RuntimeError("a rule that cannot run on these rows")
        return validate_headcount(items, context)

    batch = lifecycle.run_batch(warehouse, replace(TEAM_HEADCOUNT, validate=breaking_on_waste), targets)
    # One call for the batch; when it breaks, one call per file so only the file it breaks on fails.
    assert calls == [["housing", "waste", "parks"], ["housing"], ["waste"], ["parks"]]
    assert [str(f) for f in batch.failures] == [
        "waste team 2026-02: validation failed: RuntimeError: a rule that cannot run on these rows"
    ]
    assert [(o.subject, o.status, o.rows_loaded) for o in batch.outcomes] == [
        ("housing", "loaded", 1),
        ("parks", "loaded", 0),
    ]
    assert statuses(warehouse, "2026-02") == {"housing": "loaded", "waste": "received", "parks": "loaded"}

    # Fixed: a rerun finishes the file left received (the same bytes) and redoes nothing else.
    rerun = lifecycle.run_batch(warehouse, TEAM_HEADCOUNT, targets)
    assert not rerun.failures
    assert [(o.subject, o.status, o.recorded_now, o.new_submission) for o in rerun.outcomes] == [
        ("housing", "loaded", False, False),
        ("waste", "loaded", True, False),
        ("parks", "loaded", False, False),
    ]
    assert statuses(warehouse, "2026-02") == {"housing": "loaded", "waste": "loaded", "parks": "loaded"}


def test_landing_and_validating_as_two_steps_as_a_dag_does(headcount_table, tmp_path):
    warehouse = headcount_table
    targets = serve_teams(
        tmp_path, "2026-03", {"housing": "team,headcount\nlettings,21\n", "waste": "team,headcount\nrounds,-1\n"}
    )
    landed = [(t, lifecycle.land_only(warehouse, TEAM_HEADCOUNT, t)) for t in targets]
    assert [(o.fetch, o.status, o.submission_id is not None) for _, o in landed] == [("received", None, True)] * 2
    assert statuses(warehouse, "2026-03") == {"housing": "received", "waste": "received"}

    assert lifecycle.validate_landed(warehouse, TEAM_HEADCOUNT, landed) == []
    assert [(o.subject, o.status, o.outcome, o.recorded_now) for _, o in landed] == [
        ("housing", "loaded", "pass", True),
        ("waste", "rejected", "fail", True),
    ]
    # A retry of the validation step finds everything recorded: nothing is validated again.
    calls = []
    counting = replace(TEAM_HEADCOUNT, validate=lambda items, context: calls.append(items) or [])
    again = [(t, Outcome(t.subject, t.period, submission_id=o.submission_id)) for t, o in landed]
    assert lifecycle.validate_landed(warehouse, counting, again) == []
    assert calls == [] and [o.status for _, o in again] == ["loaded", "rejected"]
