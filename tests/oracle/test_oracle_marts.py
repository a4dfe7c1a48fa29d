"""Every published figure of the benchmarking and region marts recomputed independently
(mart_oracle.py: the catalogue's rules in plain Python, exact arithmetic, from raw and ops
rows and the seeds) and compared cell by cell (oracle_diff.py: the tolerances) with the
marts of a warehouse the real pipeline loaded: tests/conftest.py's pipeline_run, two
years of 33 councils' returns through the real loaders, the public statistics through the
public pipeline, the last months through Airflow, dbt's incremental builds. All metrics,
all periods, all group types; every mart column but the build metadata."""

from __future__ import annotations

from decimal import Decimal

import mart_oracle as oracle
import pytest
from oracle_diff import KEYS, compare, read_mart

MARTS = tuple(KEYS)


def _recomputed_and_published(warehouse):
    """The oracle's figures, the marts' and the nearest-neighbour lists of one warehouse."""
    from councilbench.core import settings
    from councilbench.warehouse.connection import connect
    from councilbench.warehouse.transform import project_vars

    with connect(warehouse) as conn:
        # the vars dbt was given: dbt_project.yml's, and the settings over them (min_group_size)
        expected = oracle.recompute(conn, settings.dbt_project_dir(), project_vars())
        marts = {name: read_mart(conn, name) for name in MARTS}
        cur = conn.execute(
            "select council_code, neighbour_code from marts.mart_council_neighbours order by neighbour_rank"
        )
        neighbours: dict[str, list[str]] = {}
        for council, neighbour in cur.fetchall():
            neighbours.setdefault(council, []).append(neighbour)
    return expected, marts, neighbours


@pytest.fixture(scope="module")
def checked(pipeline_run):
    """The warehouse the real pipeline loaded (tests/conftest.py's pipeline_run)."""
    return _recomputed_and_published(pipeline_run.warehouse)


@pytest.mark.parametrize("mart", MARTS)
def test_every_figure_of_the_mart_matches_the_oracle(checked, mart):
    expected, marts, _ = checked
    columns, rows = marts[mart]
    result = compare(mart, columns, rows, expected[mart])
    print(result.summary())
    assert rows, f"{mart} is empty: nothing was checked"
    assert result.clean, result.report()


def test_the_oracle_checked_every_metric_period_and_group_type(checked):
    """The comparison is only as good as what it covers: every metric with a value in the
    warehouse, in every period it has one, in all four group types, regional totals,
    year-to-date metrics and public statistics among them."""
    from councilbench.core import settings

    expected, marts, _ = checked
    bench = expected["mart_benchmark"]
    _, mart_rows = marts["mart_benchmark"]
    assert {r["group_type"] for r in bench} == {"region", "tier", "county_family", "nearest_neighbours"}
    metrics = {r["metric_id"] for r in bench}
    catalogue, _, v = oracle.load_reference(settings.dbt_project_dir())
    assert {m for m in metrics if catalogue[m].regional_total}, "no regional-total metric compared"
    assert metrics & set(v["year_to_date_metrics"]), "no year-to-date metric compared"
    assert {"econ_claimant_rate", "waste_defra_household_recycling_rate"} <= metrics, "no public statistic compared"
    assert {(r["metric_id"], r["period"]) for r in bench} == {(r["metric_id"], r["period"]) for r in mart_rows}
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
