"""The benchmarking warehouse built by dbt from 14 months of returns for all 33 councils
and public statistics: every mart filled, documented, readable by analysts and nothing
else, and the stories in the test data (superseded, rejected, restated, late, missing,
empty shops) told correctly."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

import warehouse_data as wd
from councilbench.core import catalogue
from councilbench.warehouse import build as warehouse_build
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import DbtResult

ALL_COUNCILS = set(catalogue.councils())
#: Marts with a row per council (mart_best_practice only has the councils worth asking).
PER_COUNCIL_MARTS = (
    "dim_council",
    "fct_metric_value",
    "mart_benchmark",
    "mart_comparison_groups",
    "mart_council_neighbours",
    "mart_submission_quality",
)


@pytest.fixture(scope="session")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


def analyst_query(warehouse, sql: str, params=None):
    with connect(warehouse, role="analyst") as conn:
        return conn.execute(sql, params or []).fetchall()


def test_dbt_build_passes_and_every_mart_has_rows(built):
    summary = built.summary
    print(
        f"\nload {built.seconds['load']} s, dbt build + docs {built.seconds['build_and_docs']} s; "
        f"{summary['nodes']} nodes {summary['statuses']}; marts {summary['marts']}"
    )
    assert set(summary["statuses"]) <= {"success", "pass"}
    assert summary["statuses"].get("pass", 0) > 100  # data and unit tests ran
    # The history is returns and public statistics: every mart but the spend and pay ones has
    # rows (tests/spend and tests/pay build those on what they load).
    assert all(summary["marts"][m] for m in warehouse_build.MARTS if "spend" not in m and "_pay_" not in m), summary[
        "marts"
    ]
    assert Path(summary["docs"]).is_file()


@pytest.mark.parametrize("mart", PER_COUNCIL_MARTS)
def test_mart_covers_all_33_councils(built, mart):
    codes = {r[0] for r in analyst_query(built.warehouse, f"select distinct council_code from marts.{mart}")}
    assert codes == ALL_COUNCILS


def test_benchmark_has_every_group_for_every_council(built):
    rows = analyst_query(
        built.warehouse,
        """
        select council_code, array_agg(distinct group_type order by group_type)
        from marts.mart_benchmark group by council_code""",
    )
    tiers = {c.code: c.tier for c in catalogue.councils().values()}
    for code, groups in rows:
        expected = {"region", "tier", "nearest_neighbours"} | (
            {"county_family"} if tiers[code] in ("county", "district") else set()
        )
        assert set(groups) == expected, code


def test_region_marts_and_best_practice_have_rows(built):
    wh = built.warehouse
    years = dict(analyst_query(wh, "select financial_year, count(*) from marts.mart_region_performance group by 1"))
    assert {"2024-25", "2025-26", "2026-27"} <= set(years)
    assert analyst_query(wh, "select count(distinct council_code) from marts.mart_best_practice")[0][0] >= 10
    # England comparators where public statistics carry them
    compared = {
        r[0]
        for r in analyst_query(
            wh,
            """
        select metric_id from marts.mart_region_performance
        where financial_year = '2025-26' and region_vs_england is not null""",
        )
    }
    assert {"econ_claimant_rate", "waste_household_recycling_rate", "waste_defra_household_recycling_rate"} <= compared


def test_empty_shops_show_up_as_a_regional_problem(built):
    rows = analyst_query(
        built.warehouse,
        """
        select problem_type, councils_worsening, councils_compared, reason from marts.mart_region_problems
        where metric_id = 'econ_vacant_retail_units_pct' and is_latest""",
    )
    kinds = {r[0] for r in rows}
    assert kinds & {"most_councils_worsening", "most_councils_trending_worse", "region_worsening"}, rows
    for _, worse, compared, reason in rows:
        assert reason.startswith("Vacant retail units in town centres (%): ")
        if worse is not None:
            assert worse * 2 > compared


def test_analyst_reads_every_mart_and_nothing_else(built):
    wh = built.warehouse
    with connect(wh, role="analyst") as conn:
        for mart in warehouse_build.MARTS:
            conn.execute(f"select * from marts.{mart} limit 1").fetchall()
    forbidden = [
        "staging.stg_returns__council_return_rows",
        "staging.stg_ops__submissions",
        "intermediate.int_returns__latest_values",
        "intermediate.int_council__features",
        "raw.council_return_rows",
        "raw.public_observations",
        "ops.submissions",
        "reference.council_contacts",
    ]
    for relation in forbidden:
        with connect(wh, role="analyst") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select * from {relation} limit 1")


def test_superseded_and_rejected_submissions_never_count(built):
    """The superseded file's figures were 50% higher and the rejected one's 10x: the facts
    carry the correction's and the resubmission's, and the newest restatement wins."""
    wh, stories = built.warehouse, built.loaded.by_story
    with connect(wh) as conn:
        for bad, good in (("superseded", "correction"), ("rejected", "resubmission")):
            mismatched = conn.execute(
                """
                select count(*), count(*) filter (where f.submission_id = g.submission_id and f.value = g.value)
                from raw.council_return_rows g
                join marts.fct_metric_value f using (council_code, metric_id, period)
                where g.submission_id = %s and g.value is not null""",
                [stories[good]],
            ).fetchone()
            assert mismatched[0] > 20 and mismatched[0] == mismatched[1], (bad, mismatched)
            assert (
                conn.execute(
                    "select count(*) from marts.fct_metric_value where submission_id = %s", [stories[bad]]
                ).fetchone()[0]
                == 0
            )
        code, _, quarter = wd.SCENARIO.restated
        fact = conn.execute(
            """
            select f.value, f.submission_id, f.loaded_versions, r.value
            from marts.fct_metric_value f
            join raw.council_return_rows r on r.submission_id = %s and r.metric_id = f.metric_id and r.period = f.period
            where f.council_code = %s and f.metric_id = %s and f.period = %s""",
            [stories["restatement"], code, wd.SCENARIO.restated_metric, quarter],
        ).fetchone()
        assert fact[1] == stories["restatement"] and fact[0] == fact[3] and fact[2] == 2


def test_submission_quality_tells_each_story(built):
    rows = {
        (r[0], r[1]): r[2:]
        for r in analyst_query(
            built.warehouse,
            """
        select council_code, return_month, timeliness, rejected, resubmitted, checks_failed, final_status,
               files_received, accepted_by_due_date
        from marts.mart_submission_quality where return_month = any(%s)""",
            [wd.HISTORY],
        )
    }
    sc = wd.SCENARIO
    assert len(rows) == 33 * len(wd.HISTORY)
    assert rows[sc.missing] == ("missing", False, False, 0, "missing", 0, False)
    assert rows[sc.rejected] == ("on_time", True, True, 1, "loaded", 2, False)  # the fix came late
    assert rows[sc.superseded] == ("on_time", False, True, 0, "loaded", 2, True)
    for late in sc.late:
        assert rows[late][0] == "late"
    on_time = sum(1 for r in rows.values() if r[0] == "on_time")
    assert on_time == len(rows) - len(sc.late) - 1
    # why the rejected file was rejected, in its check results' words (the ledger's test data)
    rejected = analyst_query(
        built.warehouse,
        """
        select council_code, return_month, failed_check_messages from marts.mart_submission_quality
        where return_month = any(%s) and failed_check_messages is not null""",
        [wd.HISTORY],
    )
    assert rejected == [(*sc.rejected, "within_bounds: within_bounds: 1 row to fix")]


def test_every_mart_and_column_is_documented(built):
    docs = Path(built.summary["docs"]).parent
    manifest = json.loads((docs / "manifest.json").read_text())
    catalog = json.loads((docs / "catalog.json").read_text())
    problems = []
    for mart in warehouse_build.MARTS:
        node = manifest["nodes"][f"model.councilbench.{mart}"]
        if len(node["description"]) < 40:
            problems.append(f"{mart}: no description")
        documented = {name for name, col in node["columns"].items() if col.get("description")}
        actual = set(catalog["nodes"][f"model.councilbench.{mart}"]["columns"])
        if actual - documented:
            problems.append(f"{mart}: undocumented columns {sorted(actual - documented)}")
    assert problems == []


def test_docs_are_one_page_that_opens_from_disk(reference_warehouse):
    """`councilbench docs` writes the docs site as one page with the manifest and catalog
    inlined; opened from disk in headless Chromium it asks for nothing (dbt's usual
    index.html fetches manifest.json, which a browser refuses to a file:// page)."""
    import os
    import subprocess
    import sys

    from councilbench.reports.pdf import Chromium

    page = warehouse_build.docs_page()
    page.unlink(missing_ok=True)
    out = subprocess.run(
        [str(Path(sys.executable).with_name("councilbench")), "docs"],
        capture_output=True,
        text=True,
        env={**os.environ, "WAREHOUSE_URL": reference_warehouse.url},
    )
    assert out.returncode == 0, out.stderr
    assert str(page) in out.stdout
    html = page.read_text()
    manifest = (page.parent / "manifest.json").read_text()
    assert manifest in html and (page.parent / "catalog.json").read_text() in html
    for mart in warehouse_build.MARTS:
        start = json.loads(manifest)["nodes"][f"model.councilbench.{mart}"]["description"][:60]
        # inlined as JSON: quotes escaped, and non-ASCII written as itself or as \uXXXX
        assert any(form in html for form in (json.dumps(start)[1:-1], json.dumps(start, ensure_ascii=False)[1:-1])), (
            mart
        )
    with Chromium() as browser:
        opened = browser.render(page)
    # dbt-docs' own templates ask for "{{ getIcon(...) }}" before Angular fills them in, and
    # now and then for its unexpanded "${require('./assets/favicons/favicon.ico')}" (served
    # over HTTP too); anything else would be the page reaching for a file or the web.
    asked = [url for url in opened.external_requests if "%7B%7B" not in url and "$%7B" not in url]
    assert asked == [] and opened.exceptions == []
    assert opened.page["title"] == "dbt Docs" and opened.page["text_length"] > 500


def test_failing_nodes_are_named_one_per_line():
    result = DbtResult(
        ["build"],
        False,
        [
            {
                "node": "model.councilbench.fct_metric_value",
                "status": "error",
                "message": "Database Error\n  division by zero",
                "failures": None,
                "seconds": 0.2,
            },
            {
                "node": "test.councilbench.unique_mart_benchmark_key.abc",
                "status": "fail",
                "message": "Got 3 results",
                "failures": 3,
                "seconds": 0.1,
            },
            {
                "node": "model.councilbench.mart_benchmark",
                "status": "skipped",
                "message": None,
                "failures": None,
                "seconds": 0,
            },
        ],
    )
    assert warehouse_build.describe_failures(result) == [
        "model fct_metric_value: error: Database Error division by zero",
        "test unique_mart_benchmark_key: fail (3 failing rows): Got 3 results",
    ]
