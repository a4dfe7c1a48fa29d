"""mart_benchmark recomputed independently (the nearest neighbours: test_neighbour_model.py):
plain SQL reads of raw.council_return_rows, raw.public_observations and ops.submissions, the seed files
through councilbench.core.catalogue, and pandas/numpy for everything else. Nothing here reads a
dbt model except the mart rows being checked.

The group-size rule: a group with fewer councils than the setting dbt is given
(COUNCILBENCH_MIN_GROUP_SIZE, transform.project_vars) publishes no rank and no quartile, and
says why (not_ranked_reason 'group_too_small')."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import warehouse_data as wd
from councilbench.core import catalogue
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import project_vars

#: (metric, period): a mean, a per-capita count, a quarterly proportion, a year-to-date
#: rate, a context count, a public statistic, and an annual metric.
SAMPLE = [
    ("wf_sickness_days_per_fte", "2026-03"),
    ("waste_fly_tipping_incidents", "2026-02"),  # Coventry's corrected month
    ("econ_vacant_retail_units_pct", "2026-Q1"),
    ("fin_council_tax_collection_rate", "2026-01"),  # Redditch's resubmitted month
    ("plan_applications_received", "2025-11"),  # Staffordshire Moorlands missing
    ("econ_claimant_rate", "2026-04"),
    ("fin_non_ringfenced_reserves_pct", "2025-26"),
]
GROUPS = ("region", "tier", "county_family")
YEAR_TO_DATE = {"fin_council_tax_collection_rate", "fin_business_rates_collection_rate", "housing_rent_collected_pct"}
AREA_BASED = {"econ_businesses_supported"}


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


@pytest.fixture(scope="module")
def raw(built):
    with connect(built.warehouse) as conn:
        returns = pd.DataFrame(
            conn.execute("""
            select r.council_code, r.metric_id, r.period, r.value, r.numerator, r.denominator,
                   r.submission_id, r.row_number, s.status, s.fetched_at
            from raw.council_return_rows r join ops.submissions s using (submission_id)""").fetchall(),
            columns=[
                "council_code",
                "metric_id",
                "period",
                "value",
                "numerator",
                "denominator",
                "submission_id",
                "row_number",
                "status",
                "fetched_at",
            ],
        )
        public = pd.DataFrame(
            conn.execute("""
            select o.dataset, o.area_code, o.period, o.measure, o.value, o.submission_id, s.status, s.fetched_at
            from raw.public_observations o join ops.submissions s using (submission_id)""").fetchall(),
            columns=["dataset", "area_code", "period", "measure", "value", "submission_id", "status", "fetched_at"],
        )
        mart = pd.DataFrame(
            conn.execute("select * from marts.mart_benchmark").fetchall(),
            columns=[c.name for c in conn.execute("select * from marts.mart_benchmark limit 0").description],
        )
    return {"returns": returns, "public": public, "mart": mart}


def newest_loaded(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    loaded = frame[frame.status == "loaded"].sort_values(["fetched_at", "submission_id"], ascending=False)
    return loaded.drop_duplicates(key)


def population(raw) -> pd.DataFrame:
    p = newest_loaded(raw["public"][raw["public"].dataset == "nomis_population"], ["area_code", "period", "measure"])
    wide = p.pivot_table(
        index=["area_code", "period"], columns="measure", values="value", aggfunc="first"
    ).reset_index()
    wide["year"] = wide.period.astype(int)
    return wide


def population_for(pop: pd.DataFrame, code: str, year: int, basis: str) -> float:
    rows = pop[pop.area_code == code]
    exact = rows[rows.year <= year]
    row = exact.loc[exact.year.idxmax()] if len(exact) else rows.loc[rows.year.idxmin()]
    return float(row["econ_" + basis])


def period_year(period: str) -> int:
    return int(period[:4])


def facts(raw, metric_id: str) -> pd.DataFrame:
    """Every council's normalised value of one metric, all periods."""
    metric = catalogue.metrics()[metric_id]
    councils = catalogue.councils()
    if metric.from_council_return:
        f = newest_loaded(
            raw["returns"][raw["returns"].metric_id == metric_id], ["council_code", "metric_id", "period"]
        )
        f = f[["council_code", "period", "value", "numerator", "denominator"]].copy()
    else:
        p = newest_loaded(raw["public"], ["dataset", "area_code", "period", "measure"])
        rate = p[p.measure == metric_id][["area_code", "period", "value"]]
        count = p[p.measure == "econ_claimant_count"][["area_code", "period", "value"]].rename(
            columns={"value": "numerator"}
        )
        f = rate.merge(count, on=["area_code", "period"], how="left").rename(columns={"area_code": "council_code"})
        f = f[f.council_code.isin(councils)]
        pop = population(raw)
        f["denominator"] = [
            population_for(pop, c, period_year(p), "population_16_64")
            for c, p in zip(f.council_code, f.period, strict=True)
        ]
    f = f[[councils[c].tier in metric.delivering_tiers for c in f.council_code]]
    f = f[f.value.notna()].copy()
    for c in ("value", "numerator", "denominator"):
        f[c] = f[c].astype(float)
    if metric.value_type in ("count", "amount") and metric.per_capita_basis:
        pop = population(raw)
        f["denominator"] = [
            population_for(pop, c, period_year(p), metric.per_capita_basis)
            for c, p in zip(f.council_code, f.period, strict=True)
        ]
        f["numerator"] = f.value
        f["norm"] = 1000 * f.value / f.denominator
        f["scale"] = 1000.0
    else:
        f["norm"] = f.value
        f["scale"] = metric.scale
    f["tier"] = [councils[c].tier for c in f.council_code]
    return f


def groups_of(code: str) -> dict[str, set[str]]:
    councils = catalogue.councils()
    me = councils[code]
    out = {"region": set(councils), "tier": {c for c, x in councils.items() if x.tier == me.tier}}
    if me.tier in ("county", "district"):
        family = me.code if me.tier == "county" else me.county_code
        out["county_family"] = {c for c, x in councils.items() if c == family or x.county_code == family}
    return out


def min_group_size() -> int:
    """The smallest group ranked, as dbt was given it."""
    return int(project_vars()["min_group_size"])


_EXPECTED: dict[tuple[int, str, str], list[dict]] = {}


def expected_rows(raw, metric_id: str, period: str) -> list[dict]:
    """The recomputed rows of one metric and period (computed once per module)."""
    key = (id(raw), metric_id, period)
    if key not in _EXPECTED:
        _EXPECTED[key] = recompute(raw, metric_id, period)
    return _EXPECTED[key]


def recompute(raw, metric_id: str, period: str) -> list[dict]:
    metric = catalogue.metrics()[metric_id]
    smallest = min_group_size()
    f = facts(raw, metric_id)
    now = f[f.period == period].set_index("council_code")
    tiers = set(metric.delivering_tiers)
    if (not metric.from_council_return or metric_id in AREA_BASED) and {"county", "district"} <= tiers:
        tiers.discard("county")
    counted = now[now.tier.isin(tiers) & now.numerator.notna() & now.denominator.notna()]
    regional = (
        metric.scale * counted.numerator.sum() / counted.denominator.sum()
        if metric.per_capita_basis is None
        else 1000 * counted.numerator.sum() / counted.denominator.sum()
    )
    prev_period, ly_period = previous_periods(period, metric.frequency)
    by_period = f.set_index(["council_code", "period"]).norm
    out = []
    for code in now.index:
        for group, members in groups_of(code).items():
            values = now.loc[now.index.isin(members), "norm"]
            v = now.loc[code, "norm"]
            median = float(np.median(values))
            mad = float(np.median(np.abs(values - median)))
            if metric.polarity == "context" or len(values) < smallest:
                rank = None
            else:
                better = (values > v) if metric.polarity == "higher_is_better" else (values < v)
                rank = int(better.sum()) + 1
            prev = by_period.get((code, prev_period))
            ly = by_period.get((code, ly_period))
            out.append(
                {
                    "council_code": code,
                    "group_type": group,
                    "normalised_value": v,
                    "group_size": len(values),
                    "rank": rank,
                    "quartile": None if rank is None else 1 + math.floor(4 * (rank - 1) / len(values)),
                    "not_ranked_reason": "group_too_small" if len(values) < smallest else None,
                    "group_median": median,
                    "group_mean": float(values.mean()),
                    "group_mad": mad,
                    "outlier_score": (v - median) / mad
                    if mad
                    else (0.0 if v == median else (v - median) / (0.8453 * float(np.mean(np.abs(values - median))))),
                    "region_value": regional,
                    "regional_councils": len(counted),
                    "direction_vs_previous": direction(v, prev, metric.polarity, metric_id in YEAR_TO_DATE),
                    "direction_vs_last_year": direction(v, ly, metric.polarity, False),
                }
            )
    return out


def previous_periods(period: str, frequency: str) -> tuple[str, str]:
    """(previous period, same period a year earlier)."""
    y = int(period[:4])
    if frequency == "quarterly":
        q = int(period[-1])
        return (f"{y}-Q{q - 1}" if q > 1 else f"{y - 1}-Q4"), f"{y - 1}-Q{q}"
    if frequency == "monthly":
        m = int(period[5:])
        return (f"{y}-{m - 1:02d}" if m > 1 else f"{y - 1}-12"), f"{y - 1}-{m:02d}"
    previous_year = f"{y - 1}-{y % 100:02d}"  # a financial year: the previous one, both ways
    return previous_year, previous_year


def direction(current, previous, polarity: str, year_to_date: bool) -> str:
    if polarity == "context" or year_to_date or previous is None or pd.isna(previous):
        return "not comparable"
    if current == previous:
        return "no change"
    return "improving" if (current > previous) == (polarity == "higher_is_better") else "worsening"


@pytest.mark.parametrize("metric_id,period", SAMPLE)
def test_benchmark_rows_match_an_independent_recomputation(raw, metric_id, period):
    expected = expected_rows(raw, metric_id, period)
    mart = raw["mart"]
    mart = mart[(mart.metric_id == metric_id) & (mart.period == period) & mart.group_type.isin(GROUPS)]
    got = {(r.council_code, r.group_type): r for r in mart.itertuples()}
    assert len(got) == len(expected) > 0
    for e in expected:
        row = got[(e["council_code"], e["group_type"])]
        where = f"{metric_id} {period} {e['council_code']} {e['group_type']}"
        for col in (
            "group_size",
            "rank",
            "quartile",
            "not_ranked_reason",
            "regional_councils",
            "direction_vs_previous",
            "direction_vs_last_year",
        ):
            actual = getattr(row, col)
            actual = None if actual is None or (isinstance(actual, float) and math.isnan(actual)) else actual
            assert actual == e[col], (where, col, actual, e[col])
        for col in ("normalised_value", "group_median", "group_mean", "group_mad", "outlier_score", "region_value"):
            assert float(getattr(row, col)) == pytest.approx(e[col], rel=1e-5, abs=1e-4), (where, col)


def test_superseded_figures_are_not_the_ones_benchmarked(raw):
    """Coventry's first February file said 50% more fly-tipping: the benchmark has the correction."""
    code, month = wd.SCENARIO.superseded
    rows = raw["returns"][
        (raw["returns"].council_code == code)
        & (raw["returns"].period == month)
        & (raw["returns"].metric_id == "waste_fly_tipping_incidents")
    ]
    by_status = dict(zip(rows.status, rows.value.astype(float), strict=True))
    assert by_status["superseded"] == pytest.approx(1.5 * by_status["loaded"], rel=0.01)
    mart = raw["mart"]
    value = (
        mart[(mart.council_code == code) & (mart.metric_id == "waste_fly_tipping_incidents") & (mart.period == month)]
        .value.astype(float)
        .unique()
    )
    assert list(value) == [by_status["loaded"]]


def test_the_sample_sees_groups_on_both_sides_of_the_minimum(raw):
    """The recomputation above checks ranked groups and groups too small to rank: the
    counties' tier (3 councils) and a county alone in its family, for instance."""
    smallest = min_group_size()
    sizes = [e["group_size"] for metric_id, period in SAMPLE for e in expected_rows(raw, metric_id, period)]
    assert min(sizes) < smallest <= max(sizes)


def test_a_county_alone_in_its_county_family_is_not_ranked(raw):
    """A service of the two-tier areas that only the county delivers (adult social care,
    say) leaves each county alone in its county family: a group of 1, never "rank 1 of 1,
    top quartile". Which metrics and councils those are comes from the catalogue and the
    registry alone."""
    councils = catalogue.councils()
    alone = {
        metric_id
        for metric_id, m in catalogue.metrics().items()
        if "county" in m.delivering_tiers and "district" not in m.delivering_tiers and m.polarity != "context"
    }
    mart = raw["mart"]
    rows = mart[mart.metric_id.isin(alone) & (mart.group_type == "county_family")]
    assert len(rows) > 0
    assert set(rows.council_code) == {code for code, c in councils.items() if c.tier == "county"}
    assert (rows.group_size == 1).all()
    assert rows["rank"].isna().all() and rows.quartile.isna().all()
    assert set(rows.not_ranked_reason) == {"group_too_small"}
    # the rest of the row is still published: the group's median is the county's own value
    assert np.allclose(rows.group_median.astype(float), rows.normalised_value.astype(float), rtol=0, atol=1e-6)


def test_every_group_too_small_publishes_no_rank_and_says_why(raw):
    """Over the whole mart: rank and quartile are null, with the reason, exactly in the
    groups smaller than the minimum; every larger group ranks each council of a ranked
    metric."""
    smallest = min_group_size()
    mart = raw["mart"]
    small = mart.group_size < smallest
    ranked_metric = mart.polarity != "context"
    assert small.any() and (~small).any()
    assert mart.loc[small, "rank"].isna().all() and mart.loc[small, "quartile"].isna().all()
    assert (mart.loc[small, "not_ranked_reason"] == "group_too_small").all()
    assert mart.loc[~small, "not_ranked_reason"].isna().all()
    assert mart.loc[~small & ranked_metric, "rank"].notna().all()
    assert mart.loc[~small & ranked_metric, "quartile"].notna().all()
    unranked = mart[small & ranked_metric]
    print(
        f"{len(unranked)} of {int(ranked_metric.sum())} rows of ranked metrics unranked (group too small): "
        + ", ".join(f"{k} {v}" for k, v in unranked.group_type.value_counts().sort_index().items())
    )
