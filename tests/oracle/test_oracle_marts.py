"""Every published figure of the benchmarking, region, context and good practice marts
recomputed independently (benchmark.py and context.py: the docs' rules in plain
Python, exact arithmetic, from raw and ops rows and the seeds; facts.py and groups.py for
the facts, the neighbour model and the comparison groups) and compared cell by cell
(diff.py: the tolerances) with the marts of a warehouse the real pipeline loaded:
tests/conftest.py's pipeline_run, two years of 33 councils' returns through the real
loaders, the public statistics through the public pipeline, the last month through
Airflow, dbt's incremental builds. All metrics, all periods, all group types; every mart
column but the build metadata. The same comparison runs on the hand-written scenario's
snapshot (tests/warehouse_data.py), for the stories the real loader is not shown:
corrections, restatements, rejected rows left in raw, months not received."""

from __future__ import annotations

from decimal import Decimal

import pytest

from councilbench.dev.oracle import benchmark as oracle
from councilbench.dev.oracle import context as context_oracle
from councilbench.dev.oracle import verdict
from councilbench.dev.oracle.diff import KEYS, compare

MARTS = tuple(KEYS)


def _recomputed_and_compared(warehouse):
    """The oracle's figures, each mart's comparison and the model's nearest-neighbour lists."""
    from councilbench.warehouse.connection import connect

    expected, compared = verdict.benchmarking(warehouse)
    with connect(warehouse) as conn:
        cur = conn.execute(
            "select council_code, neighbour_code from marts.mart_council_neighbours order by neighbour_rank"
        )
        neighbours: dict[str, list[str]] = {}
        for council, neighbour in cur.fetchall():
            neighbours.setdefault(council, []).append(neighbour)
    return expected, compared, neighbours


@pytest.fixture(scope="module")
def checked(pipeline_run):
    """The warehouse the real pipeline loaded (tests/conftest.py's pipeline_run)."""
    return _recomputed_and_compared(pipeline_run.warehouse)


@pytest.fixture(scope="module")
def scenario_checked(reference_warehouse, state_dir):
    """The hand-written scenario's warehouse (tests/warehouse_data.py: a corrected return,
    a rejected one with rows left in raw, a restated quarter, a month not received, late
    returns), as it was when it was built: its snapshot, since other modules load more
    into the warehouse itself afterwards."""
    import warehouse_data as wd

    return _recomputed_and_compared(wd.built_warehouse(reference_warehouse, state_dir).snapshot)


@pytest.mark.parametrize("mart", MARTS)
@pytest.mark.parametrize("loaded_by", ["pipeline", "scenario"])
def test_every_figure_of_the_mart_matches_the_oracle(request, loaded_by, mart):
    _, compared, _ = request.getfixturevalue("checked" if loaded_by == "pipeline" else "scenario_checked")
    result = compared[mart]
    print(result.summary())
    assert result.rows, f"{mart} is empty: nothing was checked"
    assert result.clean, result.report()


def test_the_verdict_covers_every_published_mart_of_the_warehouse(pipeline_run, checked):
    """`make demo`'s last line, on the pipeline's warehouse: every mart the oracles know
    that has rows, the domains with nothing loaded named (the bench loads no spend or pay)."""
    _, compared, _ = checked
    result = verdict.verdict(pipeline_run.warehouse, compared)
    assert set(result.checked) == {*MARTS, "mart_submission_quality"}
    assert result.differences == 0, "\n".join(result.reports)
    assert result.figures > sum(c.figures for c in compared.values()) > 1_000_000
    line = result.line()
    print(line)
    assert line.startswith(f"every published figure recomputed independently: {result.figures:,} figures in 13 marts")
    assert "0 differences (no spend files loaded" in line and "no pay deposits loaded" in line


def test_the_oracle_checked_every_metric_period_and_group_type(checked):
    """The comparison is only as good as what it covers: every metric with a value in the
    warehouse, in every period it has one, in all four group types, regional totals,
    year-to-date metrics and public statistics among them."""
    from councilbench.core import settings

    expected, compared, _ = checked
    bench = expected["mart_benchmark"]
    assert {r["group_type"] for r in bench} == {"region", "tier", "county_family", "nearest_neighbours"}
    metrics = {r["metric_id"] for r in bench}
    catalogue, _, v = oracle.load_reference(settings.dbt_project_dir())
    assert {m for m in metrics if catalogue[m].regional_total}, "no regional-total metric compared"
    assert metrics & set(v["year_to_date_metrics"]), "no year-to-date metric compared"
    assert {"econ_claimant_rate", "waste_defra_household_recycling_rate"} <= metrics, "no public statistic compared"
    assert not compared["mart_benchmark"].missing_in_mart and not compared["mart_benchmark"].missing_in_oracle
    months = {r["period"] for r in bench if r["frequency"] == "monthly" and not r["metric_id"].startswith("econ_")}
    assert len(months) >= 24, sorted(months)  # two years of returns, and the months after
    assert len({r["council_code"] for r in bench}) == 33
    performance = expected["mart_region_performance"]
    assert len({r["financial_year"] for r in performance}) >= 3  # two years of history span three
    # groups on both sides of the group-size rule (a county alone in its family, say)
    assert {r["not_ranked_reason"] for r in bench} == {None, "group_too_small"}
    problems = {r["problem_type"] for r in expected["mart_region_problems"]}
    assert problems, "no region problem was recomputed"
    assert expected["mart_best_practice"], "no best practice council was recomputed"
    total = sum(len(expected[m]) for m in MARTS)
    print(f"oracle: {total:,} rows over {len(MARTS)} marts, {len(metrics)} metrics")


def test_the_oracle_checked_every_council_area_and_suggestion_kind(checked, repo):
    """The context marts' reach: every member council's context, the West Midlands against
    England and the UK, every case study, and good practice suggestions of both kinds
    beside metrics flagged for the bottom quartile and for getting worse."""
    from councilbench.core import catalogue

    expected, compared, _ = checked
    context = expected["mart_council_context"]
    assert {r["council_code"] for r in context} == set(catalogue.councils()) and len(context) == 33
    assert all(r["population_all_ages"] and r["imd_ranked_among"] for r in context)
    assert {r["imd_ranked_among"] for r in context} == {"district", "upper tier"}  # the counties' own
    economy = expected["mart_region_economy"]
    assert {r["area_level"] for r in economy} == {"region", "country", "uk"}
    assert {r["indicator_id"] for r in economy} == set(context_oracle.INDICATORS)
    assert any(r["change"] is not None for r in economy), "no change on a year earlier compared"
    studies = expected["mart_case_studies"]
    assert {r["case_study_id"] for r in studies} == {p.stem for p in (repo / "case_studies").glob("*.yml")}
    practice = expected["mart_good_practice"]
    assert {r["suggestion_type"] for r in practice} == {"case_study", "best_practice_council"}
    assert any(r["is_bottom_quartile"] for r in practice) and any(r["is_worsening"] for r in practice)
    assert compared["mart_good_practice"].rows == len(practice)


def test_the_oracle_checked_every_fact_neighbour_and_group(checked):
    """The facts, both kinds (per-capita counts divided by a population among them), every
    council's five neighbours, the model's six features and every council's groups of all
    four types, each member listed."""
    expected, compared, _ = checked
    facts = expected["fct_metric_value"]
    assert {r["source_kind"] for r in facts} == {"council_return", "public_source"}
    assert any(r["population"] for r in facts), "no per-capita fact compared"
    keys = {(r["council_code"], r["metric_id"], r["period"]) for r in facts}
    assert {(r["council_code"], r["metric_id"], r["period"]) for r in expected["mart_benchmark"]} <= keys
    assert compared["fct_metric_value"].rows == len(facts)
    assert compared["mart_council_neighbours"].rows == 33 * 5
    assert compared["mart_neighbour_model_features"].rows == 6
    groups = expected["mart_comparison_groups"]
    assert {r["group_type"] for r in groups} == {"region", "tier", "county_family", "nearest_neighbours"}
    assert sum(1 for r in groups if r["group_type"] == "region") == 33 * 33
    assert sum(1 for r in groups if r["group_type"] == "nearest_neighbours") == 33 * 6
    assert compared["mart_comparison_groups"].rows == len(groups)


def test_the_scenario_checked_restated_figures(scenario_checked):
    """The scenario's restated quarter and corrected return: facts carried by more than one
    loaded submission, the newest counting."""
    expected, compared, _ = scenario_checked
    assert any(r["loaded_versions"] > 1 for r in expected["fct_metric_value"])
    assert compared["fct_metric_value"].clean


def test_nearest_neighbours_match_the_oracles_model(checked):
    """The nearest-neighbour groups the oracle compares in: the same lists as the model's
    (a different list would show as every figure of those groups differing)."""
    expected, _, neighbours = checked
    ours = {r["council_code"]: r["neighbours"] for r in expected["_neighbours"]}
    assert len(ours) == 33
    assert neighbours == ours


# The oracle's own rules on the documented examples, and the comparison's reach: no database.


def test_the_oracle_reads_values_as_the_docs_write_them():
    r = oracle.readable_value
    assert r(Decimal("16.24"), "percent", "percent") == "16.2%"
    assert r(Decimal("69437.2"), "gbp", "per 1,000 residents") == "£69,437 per 1,000 residents"
    assert r(Decimal("0.914"), "fte_days", "fte_days") == "0.91 days per FTE"
    assert r(Decimal("94.44"), "per_100k", "per_100k") == "94.4 per 100,000"
    assert r(Decimal("412.04"), "kg", "kg") == "412.0 kg"  # 1 decimal from 100 but for counts and pounds
    assert r(Decimal("412.5"), "count", "count") == "413"  # half away from zero, as PostgreSQL rounds
    assert r(Decimal("7"), "count", "count") == "7"
    assert r(None, "count", "count") == "no value"


def test_the_oracle_ranks_ties_and_quartiles_as_documented():
    """'ties share a rank (1, 2, 2, 4)'; quartile = 1 + floor(4 x (rank - 1) / group size)."""
    values = [Decimal(x) for x in ("9", "7", "7", "3")]
    ranks = [1 + sum(1 for y in values if y > x) for x in values]
    assert ranks == [1, 2, 2, 4]
    assert [1 + (4 * (k - 1)) // 4 for k in ranks] == [1, 2, 2, 4]
    stats = oracle.group_stats([Decimal(x) for x in ("5", "5", "5", "9")])
    assert stats["mad"] == 0 and stats["median"] == 5 and stats["mean_abs_dev"] == 1
    assert oracle.least_squares_slope([(1, Decimal(14)), (2, Decimal(12)), (3, Decimal(13))]) == Decimal("-0.5")
    periods = (
        oracle.Period("2026-01", "monthly"),
        oracle.Period("2026-Q1", "quarterly"),
        oracle.Period("2025-26", "annual"),
    )
    assert [p.financial_year for p in periods] == ["2025-26", "2025-26", "2025-26"]
    assert oracle.period_at(periods[0].index - 1, "monthly") == "2025-12"
    assert oracle.period_at(periods[1].index - 4, "quarterly") == "2025-Q1"


def test_a_single_wrong_figure_is_reported_with_its_row_and_column():
    row = {"council_code": "C1", "metric_id": "m", "period": "2026-01", "group_id": "region", "rank": 1}
    mart = [{**row, "group_mean": Decimal("1.000001"), "dbt_updated_at": None}]
    result = compare("mart_benchmark", [*row, "group_mean", "dbt_updated_at"], mart, [{**row, "group_mean": 1}])
    assert result.clean  # within one unit of the 6th decimal
    mart[0]["rank"] = 2
    result = compare("mart_benchmark", [*row, "group_mean", "dbt_updated_at"], mart, [{**row, "group_mean": 1}])
    assert not result.clean and [(d.key, d.column, d.mart, d.oracle) for d in result.differences] == [
        (("C1", "m", "2026-01", "region"), "rank", 2, 1)
    ]
    assert "[C1 | m | 2026-01 | region] rank: mart 2, oracle 1" in result.report()
