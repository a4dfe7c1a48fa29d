"""Council spend through the one ingest lifecycle: sample files served over HTTP at the
registry's spend_source, landed, validated in one GX run per batch, loaded into
raw.council_spend_lines or rejected and quarantined, each council on its own."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.spend import pipeline
from councilbench.spend.kind import SOURCE_KIND
from councilbench.warehouse.connection import connect

SCALE = 0.01
CLEAN = ["birmingham", "dudley", "herefordshire"]  # body column, no body column, quarterly workbook


def code(name: str) -> str:
    return catalogue.find_council(name).code


@pytest.fixture(scope="module")
def spend_url(returns_server):
    def url(folder: str) -> tuple[Path, str]:
        return returns_server.folder / folder, f"{returns_server.url}/{folder}"

    return url


def lines(warehouse, submission_id: int) -> tuple[int, Decimal]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            "select count(*), coalesce(sum(net_amount), 0) from raw.council_spend_lines where submission_id = %s",
            [submission_id],
        ).fetchone()


def by_council(outcomes) -> dict:
    return {(catalogue.councils()[o.subject].short_name, o.period): o for o in outcomes}


def test_registry_says_where_and_how_often_each_council_publishes():
    councils = catalogue.councils().values()
    assert len({c.spend_source for c in councils}) == 33
    for c in councils:
        assert "{period}" in c.spend_source and "{spend_base_url}" in c.spend_source, c.short_name
        assert c.spend_frequency in ("monthly", "quarterly")
        # the sample generator publishes as the registry says
        p = sample_spend.profile(c.code)
        assert p.quarterly == (c.spend_frequency == "quarterly"), c.short_name
        assert c.spend_source.endswith(f".{p.extension}"), c.short_name
    assert (
        catalogue.find_council("dudley").spend_uri("2026-01", "http://x/spend")
        == "http://x/spend/dudley/spend-2026-01.csv"
    )
    assert [t.period for t in pipeline.targets("2026-02", ["herefordshire", "dudley"])] == ["2026-02"]
    assert sorted(t.period for t in pipeline.targets("2026-03", ["herefordshire", "dudley"])) == ["2026-03", "2026-Q1"]


@pytest.fixture(scope="module")
def clean_run(warehouse, spend_url):
    folder, url = spend_url("spend-clean")
    sample = sample_spend.write(folder, ["2026-01", "2026-02", "2026-03"], CLEAN, scale=SCALE)
    summary, outcomes = pipeline.run_period(warehouse, "2026-Q1", CLEAN, spend_base_url=url)
    return sample, summary, outcomes, folder, url


def test_clean_files_load_every_line_with_the_sample_totals(warehouse, clean_run):
    sample, summary, outcomes, _, _ = clean_run
    assert summary["files"] == 7 and summary["loaded"] == 7 and summary["rejected"] == 0
    done = by_council(outcomes)
    for f in sample.files:
        o = done[(catalogue.councils()[f.council_code].short_name, f.period)]
        assert (o.status, o.outcome in ("pass", "warn")) == ("loaded", True), (f.path, o.message)
        count, total = lines(warehouse, o.submission_id)
        assert count == len(f.lines) == o.rows_loaded
        assert total == Decimal(f.net_pence) / 100
    with connect(warehouse, role="loader") as conn:
        redacted, dates = conn.execute(
            """select count(*) filter (where redacted and supplier_name is null),
                      count(*) filter (where payment_date is null)
               from raw.council_spend_lines l join ops.submissions s using (submission_id)
               where s.subject = %s and s.period = '2026-Q1'""",
            [code("herefordshire")],
        ).fetchone()
    quarter = next(f for f in sample.files if f.period == "2026-Q1")
    assert redacted == quarter.redacted and dates == 0


def test_a_rerun_changes_nothing(warehouse, clean_run):
    _, _, first, _, url = clean_run
    with connect(warehouse, role="loader") as conn:
        before = conn.execute("select count(*), sum(net_amount) from raw.council_spend_lines").fetchone()
    summary, again = pipeline.run_period(warehouse, "2026-Q1", CLEAN, spend_base_url=url)
    assert summary["new_submissions"] == 0 and summary["lines_loaded"] == 0
    assert [(o.submission_id, o.status) for o in again] == [(o.submission_id, o.status) for o in first]
    with connect(warehouse, role="loader") as conn:
        assert conn.execute("select count(*), sum(net_amount) from raw.council_spend_lines").fetchone() == before


def test_a_period_far_off_the_usual_and_lone_small_lines_load_with_warnings(warehouse, clean_run):
    _, _, _, folder, url = clean_run
    sample = sample_spend.write(
        folder,
        ["2026-04"],
        ["birmingham", "dudley"],
        faults={"birmingham": ["amounts_in_pence"], "dudley": ["lone_small_lines"]},
        scale=SCALE,
    )
    _, outcomes = pipeline.run_period(warehouse, "2026-04", ["birmingham", "dudley"], spend_base_url=url)
    done = by_council(outcomes)
    pence, small = done[("birmingham", "2026-04")], done[("dudley", "2026-04")]
    assert (pence.status, pence.outcome, pence.checks["usual_total"]) == ("loaded", "warn", "warn")
    assert (small.status, small.outcome, small.checks["under_500"]) == ("loaded", "warn", "warn")
    assert small.checks["usual_total"] == "pass" and pence.checks["under_500"] == "pass"
    with connect(warehouse, role="loader") as conn:
        message = conn.execute(
            "select message from ops.check_results where submission_id = %s and check_name = 'usual_total'",
            [pence.submission_id],
        ).fetchone()[0]
    assert "times the usual" in message and "pounds (not pence)" in message
    assert lines(warehouse, small.submission_id)[0] == len(sample.files[1].lines)


FAULTS = {
    "birmingham": ("html_page", "readable", "served a web page, not a spend file"),
    "dudley": ("missing_amount_column", "columns", "no net amount column"),
    "sandwell": ("dates_outside_period", "period", "dated outside June 2025"),
    "walsall": ("other_council", "body", "City of Wolverhampton Council"),
    "coventry": ("duplicate_lines", "no_duplicates", "repeat an earlier line exactly"),
}


@pytest.fixture(scope="module")
def faulted_run(warehouse, spend_url):
    folder, url = spend_url("spend-faults")
    councils = [*FAULTS, "solihull"]
    sample = sample_spend.write(
        folder, ["2025-06"], councils, faults={k: [v[0]] for k, v in FAULTS.items()}, scale=SCALE
    )
    summary, outcomes = pipeline.run_period(warehouse, "2025-06", councils, spend_base_url=url)
    return sample, summary, by_council(outcomes), folder, url


@pytest.mark.parametrize("council", list(FAULTS))
def test_a_bad_file_is_rejected_with_a_plain_message_and_kept(warehouse, faulted_run, council):
    _, _, done, _, _ = faulted_run
    _, check, words = FAULTS[council]
    o = done[(council, "2025-06")]
    assert (o.status, o.outcome, o.checks[check], o.rows_loaded) == ("rejected", "fail", "fail", 0)
    assert words in o.message, o.message
    assert Path(o.quarantined).exists() and f"{council}/spend-2025-06" in o.quarantined
    assert lines(warehouse, o.submission_id) == (0, 0)
    with connect(warehouse, role="loader") as conn:
        landed = conn.execute(
            "select landing_path, source_kind from ops.submissions where submission_id = %s", [o.submission_id]
        ).fetchone()
    assert Path(landed[0]).exists() and landed[1] == SOURCE_KIND


def test_another_council_in_the_same_batch_still_loads(warehouse, faulted_run):
    sample, summary, done, _, _ = faulted_run
    assert summary["rejected"] == len(FAULTS) and summary["loaded"] == 1
    o = done[("solihull", "2025-06")]
    truth = next(f for f in sample.files if f.council_code == code("solihull"))
    assert o.status == "loaded"
    assert lines(warehouse, o.submission_id) == (len(truth.lines), Decimal(truth.net_pence) / 100)


def test_rejection_messages_say_which_rows_what_is_accepted_and_how_to_fix(faulted_run):
    _, _, done, _, _ = faulted_run
    period = done[("sandwell", "2025-06")].message
    assert "row " in period and "Accepted: payment dates from 01/06/2025 to 30/06/2025" in period
    assert "publish the file again" in period
    body = done[("walsall", "2025-06")].message
    assert "Walsall Metropolitan Borough Council's spend address" in body and "E08000030" in body
    duplicates = done[("coventry", "2025-06")].message
    assert "3 lines repeat" in duplicates and "repeats row" in duplicates
    columns = done[("dudley", "2025-06")].message
    assert "Headers seen on row" in columns and "'Date Paid'" in columns


def test_a_corrected_file_supersedes(warehouse, faulted_run):
    _, _, done, folder, url = faulted_run
    rejected, loaded = done[("dudley", "2025-06")], done[("solihull", "2025-06")]
    fixed = sample_spend.write(folder, ["2025-06"], ["dudley"], scale=SCALE).files[0]
    more = sample_spend.write(folder, ["2025-06"], ["solihull"], scale=2 * SCALE).files[0]
    summary, outcomes = pipeline.run_period(warehouse, "2025-06", ["dudley", "solihull"], spend_base_url=url)
    now = by_council(outcomes)
    assert summary["new_submissions"] == 2
    for o, truth in ((now[("dudley", "2025-06")], fixed), (now[("solihull", "2025-06")], more)):
        assert o.status == "loaded"
        assert lines(warehouse, o.submission_id) == (len(truth.lines), Decimal(truth.net_pence) / 100)
    with connect(warehouse, role="loader") as conn:
        status = dict(
            conn.execute(
                "select submission_id, status from ops.submissions where submission_id = any(%s)",
                [[rejected.submission_id, loaded.submission_id]],
            ).fetchall()
        )
    assert status == {rejected.submission_id: "rejected", loaded.submission_id: "superseded"}
    assert lines(warehouse, loaded.submission_id)[0] > 0  # a superseded file's rows are kept
