"""Property: council returns broken at random (tests/return_mutations.py), served over HTTP
and taken through the pipeline as the council_returns DAG runs it (`land_return` for each
council, then ONE `validate_landed` for the month's new files) into a warehouse of this
module's own (a copy of the session's reference template). For every file:

1. it is landed as served (the ledger's sha256 is the file's);
2. the pipeline and the in-memory validator (given the same earlier figures) agree on
   accept or reject;
3. a rejected file puts no row in raw; an accepted one puts rows_loaded rows there, and
   every one keeps the catalogue's rules (return_mutations.rule_breaches);
4. a council-month has at most one loaded submission (a later file supersedes it);
5. no other council-month's raw rows or ledger entries change.

Each example is one month of 2020-2021 with 1 to 6 councils; council-months repeat across
examples, so corrections (superseded files) happen too. The test prints how many files
went through, how many were accepted and how many loaded rows it checked.

Random and reproducible: the run's seed (tests/property_seed.py) is printed at the start
and in any failure; `COUNCILBENCH_PROPERTY_SEED=<seed>` replays a run.
`COUNCILBENCH_PROPERTY_PIPELINE_EXAMPLES` sets the number of months (default 8). The
warehouse is dropped at the end; no example database is kept.

    COUNCILBENCH_PROPERTY_SEED=1234 .venv/bin/python -m pytest tests/returns/test_property_returns_pipeline.py
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import example, given, seed, settings
from hypothesis import strategies as st

import return_mutations as rm
from councilbench.core import catalogue
from councilbench.core.calendar import months_between
from councilbench.dev import sample_returns as sample
from councilbench.ingest.fetch import RetryPolicy
from councilbench.returns import previous
from councilbench.returns.kind import RETURN_ROWS
from councilbench.returns.pipeline import ReturnOutcome, land_return, process_return, validate_landed
from councilbench.warehouse import bootstrap
from councilbench.warehouse.connection import connect
from property_seed import REPRODUCE, SEED, announce, reproducible
from return_mutations import DUDLEY, HEREFORDSHIRE, WARWICKSHIRE, Case
from warehouse_copy import copy_database

FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=1, read_timeout=5)
MONTHS = months_between("2020-01", "2021-12")
EXAMPLES = int(os.environ.get("COUNCILBENCH_PROPERTY_PIPELINE_EXAMPLES", 8))
#: Served under their own folder of the session's file server: no other module's files.
FOLDER = "property-returns"
ROW_COLUMNS = RETURN_ROWS.columns  # what the loader writes, in its order

_mtimes = itertools.count(1_000_000_000 * 10**9, 10**7)  # distinct mtimes: the server's ETag follows them


@pytest.fixture(scope="module", autouse=True)
def _print_seed(request):
    announce(request.config, f"[property] seed {SEED} ({REPRODUCE} replays this run)")


@pytest.fixture(scope="module")
def pipeline(reference_template, returns_server):
    warehouse = copy_database(reference_template, "property")
    yield warehouse, returns_server.folder / FOLDER, f"{returns_server.url}/{FOLDER}"
    bootstrap.drop_database(warehouse)


@st.composite
def month_batches(draw) -> list[Case]:
    """One return month (as the DAG runs one), several councils."""
    month = draw(st.sampled_from(MONTHS))
    return draw(st.lists(rm.cases(months=[month]), min_size=1, max_size=6, unique_by=lambda c: c.council_code))


def fingerprint(warehouse, keys: list[tuple[str, str]]) -> list[tuple]:
    """Everything in raw and the ledger except these council-months."""
    codes, months = [k[0] for k in keys], [k[1] for k in keys]
    outside = "(({0}, {1}) not in (select * from unnest(%s::text[], %s::text[])))"
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            # (sums as text: a NaN sum would never equal itself as a Python Decimal)
            f"""select council_code, return_period, submission_id, count(*), sum(coalesce(value, 0))::text,
                      sum(coalesce(numerator, 0))::text, sum(coalesce(denominator, 0))::text,
                      string_agg(metric_id || period || status, ',' order by row_number)
               from raw.council_return_rows where {outside.format("council_code", "return_period")}
               group by 1, 2, 3 order by 1, 2, 3""",
            [codes, months],
        ).fetchall()
        ledger = conn.execute(
            f"""select subject, period, submission_id, status, outcome, rows_loaded, sha256 from ops.submissions
               where {outside.format("subject", "period")} order by submission_id""",
            [codes, months],
        ).fetchall()
    return rows + ledger


def as_the_dag_does(warehouse, cases: list[Case], base_url: str) -> list[ReturnOutcome]:
    landed = [
        land_return(warehouse, c.council_code, c.month, returns_base_url=base_url, policy=FAST).as_dict() for c in cases
    ]
    return [ReturnOutcome(**d) for d in validate_landed(warehouse, landed)]


def one_by_one(warehouse, cases: list[Case], base_url: str) -> list[ReturnOutcome]:
    return [process_return(warehouse, c.council_code, c.month, returns_base_url=base_url, policy=FAST) for c in cases]


def check_through_pipeline(cases: list[Case], pipeline, tally: Counter, load=as_the_dag_does) -> None:
    warehouse, folder, base_url = pipeline
    files = [case.render() for case in cases]
    keys = [(c.council_code, c.month) for c in cases]
    for case, data in zip(cases, files, strict=True):
        path = sample.return_path(folder, catalogue.councils()[case.council_code], case.month)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = next(_mtimes)
        os.utime(path, ns=(stamp, stamp))
    before = fingerprint(warehouse, keys)
    with connect(warehouse, role="loader") as conn:  # what the pipeline compares each file with
        history = {key: previous.previous_values(conn, *key) for key in keys}

    outcomes = load(warehouse, cases, base_url)

    with TemporaryDirectory() as tmp:
        expected = rm.validate_in_memory(list(zip(files, cases, strict=True)), Path(tmp), history)
    for case, data, outcome, report in zip(cases, files, outcomes, expected, strict=True):
        assert (outcome.council_code, outcome.return_month) == (case.council_code, case.month)
        with connect(warehouse, role="loader") as conn:
            sha, status, rows_loaded = conn.execute(
                "select sha256, status, rows_loaded from ops.submissions where submission_id = %s",
                [outcome.submission_id],
            ).fetchone()
            loaded = conn.execute(
                f"""select {", ".join(ROW_COLUMNS)} from raw.council_return_rows
                    where submission_id = %s order by row_number""",
                [outcome.submission_id],
            ).fetchall()
            live = conn.execute(
                "select count(*) from ops.submissions where subject = %s and period = %s and status = 'loaded'",
                [case.council_code, case.month],
            ).fetchone()[0]
        loaded = [dict(zip(ROW_COLUMNS, r, strict=True)) for r in loaded]
        tally["files"] += 1
        # Every fetched file is kept as served, whatever happens to it.
        assert sha.strip() == hashlib.sha256(data).hexdigest(), case
        assert live <= 1, case  # one accepted file per council-month; earlier ones superseded
        if status == "rejected":
            assert loaded == [], case
        else:
            assert status in ("loaded", "superseded") and rows_loaded == len(loaded) > 0, (case, status)
            assert rm.rule_breaches(loaded, case.council_code, case.month) == [], case
            tally["accepted"] += 1
            tally["rows"] += len(loaded)
        if outcome.recorded_now or outcome.new_submission:  # (not a file already seen earlier)
            # The pipeline and the validator agree on accept / reject.
            assert (status == "rejected") == (report.outcome == "fail"), (case, outcome.message, status)
    assert fingerprint(warehouse, keys) == before


def test_rows_the_pipeline_loads_keep_the_rules_and_nobody_elses_change(pipeline, request):
    tally: Counter = Counter()

    @seed(SEED)
    @settings(max_examples=EXAMPLES, **rm.COMMON)
    @given(cases=month_batches())
    @example(cases=[Case(DUDLEY, "2020-03"), Case(WARWICKSHIRE, "2020-03", 7, habits=("bom", "percent_signs"))])
    def through_the_pipeline(cases):
        check_through_pipeline(cases, pipeline, tally)

    with reproducible("pipeline property"):
        through_the_pipeline()
        announce(
            request.config,
            f"[property] pipeline: {tally['files']} files through land_return + validate_landed, "
            f"{tally['accepted']} accepted ({tally['accepted'] / tally['files']:.0%}), "
            f"{tally['rows']} loaded rows checked against the rules",
        )


def test_figures_too_large_for_a_float_never_reach_raw(pipeline):
    tally: Counter = Counter()
    for case in (
        Case(WARWICKSHIRE, "2022-03", row_mutations=(("nudge", 0, "huge_fraction"),)),
        Case(HEREFORDSHIRE, "2022-08", row_mutations=(("nudge", 1, "huge_denominator"),)),
    ):
        check_through_pipeline([case], pipeline, tally, load=one_by_one)
    assert (tally["files"], tally["accepted"]) == (2, 0)
