"""The good practice marts on the built test warehouse (tests/warehouse_data.py): the case
study seeds reach mart_case_studies as the files say, and mart_good_practice is exactly
what an independent reading of mart_benchmark and mart_best_practice gives, every sample
case study reaching some council; the marts' dbt unit tests (the flag logic, the outcome
wording) pass on real dbt."""

from __future__ import annotations

import pytest

import warehouse_data as wd
from councilbench.practice import checks
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


def analyst(warehouse, sql: str, params=()) -> list[dict]:
    """Rows as the analyst role reads them (the marts are theirs)."""
    with connect(warehouse, role="analyst") as conn:
        cur = conn.execute(sql, params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def studies():
    found, problems = checks.check_folder()
    assert not problems
    return {s.case_study_id: s for s in found}


def test_case_studies_mart_is_the_files(built, studies):
    rows = analyst(built.warehouse, "select * from marts.mart_case_studies")
    assert {(r["case_study_id"], r["metric_id"]) for r in rows} == {
        (s.case_study_id, m) for s in studies.values() for m in s.metric_ids
    }
    by_id = {r["case_study_id"]: r for r in rows}
    assert by_id["staffordshire-highways-defects"]["headline_outcome"] == "3.5 -> 10.7 defects per gang per day"
    assert by_id["nuneaton-and-bedworth-in-cab-missed-bins"]["headline_outcome"] == "£0 -> £100,000 a year"
    assert by_id["telford-and-wrekin-early-speech-and-language"]["headline_outcome"] == "19.5% -> 4.1%"
    assert by_id["staffordshire-highways-defects"]["outcomes_text"] == (
        "Defects fixed per gang per day: 3.5 -> 10.7 defects per gang per day (March 2019 to March 2021)"
    )
    for r in rows:
        s = studies[r["case_study_id"]]
        assert (r["council_code"], r["title"], r["link"], r["is_sample"]) == (s.council_code, s.title, s.link, True)
        assert r["outcome_count"] == len(s.outcomes)


def expected_suggestions(warehouse) -> set[tuple]:
    """mart_good_practice read independently: at each metric's latest period in the region
    group, a council in quartile 4, trending worse, or (with no comparable trend) worse than a
    year earlier gets the other councils' case studies and best-practice councils on it."""
    bench = analyst(
        warehouse,
        """select council_code, metric_id, period_index, quartile, trend_direction, direction_vs_last_year
           from marts.mart_benchmark where group_type = 'region'""",
    )
    latest = {}
    for r in bench:
        latest[r["metric_id"]] = max(latest.get(r["metric_id"], r["period_index"]), r["period_index"])
    flagged = {
        (r["council_code"], r["metric_id"])
        for r in bench
        if r["period_index"] == latest[r["metric_id"]]
        and (
            r["quartile"] == 4
            or r["trend_direction"] == "worsening"
            or (r["trend_direction"] == "not comparable" and r["direction_vs_last_year"] == "worsening")
        )
    }
    cases = analyst(warehouse, "select case_study_id, council_code, metric_id from marts.mart_case_studies")
    best = analyst(warehouse, "select council_code, metric_id from marts.mart_best_practice")
    out = set()
    for council, metric in flagged:
        out |= {
            (council, metric, "case_study", c["case_study_id"])
            for c in cases
            if c["metric_id"] == metric and c["council_code"] != council
        }
        out |= {
            (council, metric, "best_practice_council", b["council_code"])
            for b in best
            if b["metric_id"] == metric and b["council_code"] != council
        }
    return out


def test_good_practice_mart_is_the_benchmark_read_independently(built, studies):
    rows = analyst(built.warehouse, "select * from marts.mart_good_practice")
    shown = {
        (r["council_code"], r["metric_id"], r["suggestion_type"], r["case_study_id"] or r["best_practice_council_code"])
        for r in rows
    }
    assert len(shown) == len(rows)
    assert shown == expected_suggestions(built.warehouse)
    # the demo shows the link: every case study is suggested to some other council
    suggested = {r["case_study_id"] for r in rows if r["suggestion_type"] == "case_study"}
    assert suggested == set(studies)
    # case studies first, then the councils to ask, numbered 1, 2, ... per council and metric
    by_key = {}
    for r in sorted(rows, key=lambda r: r["suggestion_order"]):
        by_key.setdefault((r["council_code"], r["metric_id"]), []).append(r)
    for key, items in by_key.items():
        assert [r["suggestion_order"] for r in items] == list(range(1, len(items) + 1)), key
        kinds = [r["suggestion_type"] for r in items]
        assert kinds == sorted(kinds, key=lambda k: k != "case_study"), key
        assert all(r["flag_reason"] for r in items)
    highways = next(r for r in rows if r["case_study_id"] == "staffordshire-highways-defects")
    assert highways["headline_outcome"] == "3.5 -> 10.7 defects per gang per day"
    assert highways["council_code"] != "E10000028"


def test_the_marts_unit_tests_pass_on_dbt(built):
    result = run_dbt(
        built.warehouse,
        ["test", "--select", "mart_good_practice,test_type:unit", "mart_case_studies,test_type:unit"],
        raise_on_failure=False,
    )
    ran = {n["node"].rsplit(".", 1)[-1]: n["status"] for n in result.nodes}
    assert ran == {
        "mart_good_practice_flags_bottom_quartile_or_worsening": "pass",
        "mart_case_studies_outcomes_read_as_people_write_them": "pass",
    }
