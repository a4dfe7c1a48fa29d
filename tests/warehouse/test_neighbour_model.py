"""The nearest-neighbour model recomputed independently: population, claimant rate, IMD
score and land area read from raw.public_observations (the newest loaded submission of
each figure), the weights from dbt_project.yml, and numpy for the z-scores and distances.
Nothing here reads a dbt model except the mart rows being checked. Also: the before/after
comparison (`councilbench neighbours`) agrees with the same recomputation, and a weights
override that leaves a feature out is refused at compile time."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

import warehouse_data as wd
from councilbench.core import catalogue, settings
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt

FEATURES = ("population", "share_16_64", "claimant_rate", "deprivation", "density")
TIERS = ("metropolitan_borough", "unitary", "county", "district")


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


@pytest.fixture(scope="module")
def public(built) -> pd.DataFrame:
    """Every loaded public observation, the newest submission's where several carry it."""
    with connect(built.warehouse) as conn:
        rows = conn.execute("""
            select o.dataset, o.area_code, o.period, o.measure, o.value, o.submission_id, s.fetched_at
            from raw.public_observations o join ops.submissions s using (submission_id)
            where s.status = 'loaded'""").fetchall()
    frame = pd.DataFrame(rows, columns=["dataset", "area_code", "period", "measure", "value", "submission_id", "at"])
    frame = frame.sort_values(["at", "submission_id"], ascending=False)
    frame = frame.drop_duplicates(["dataset", "area_code", "period", "measure"])
    frame["value"] = frame["value"].astype(float)
    return frame[frame["value"].notna()]


@pytest.fixture(scope="module")
def mart(built) -> pd.DataFrame:
    with connect(built.warehouse) as conn:
        cur = conn.execute("select * from marts.mart_council_neighbours")
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def dbt_vars() -> dict:
    with (settings.dbt_project_dir() / "dbt_project.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)["vars"]


def raw_features(public: pd.DataFrame) -> pd.DataFrame:
    """One row per council: the five features as the model defines them, NaN where missing."""
    councils = catalogue.councils()
    pop = public[public.dataset == "nomis_population"].pivot_table(
        index=["area_code", "period"], columns="measure", values="value", aggfunc="first"
    )
    pop = pop.dropna(subset=["econ_population_16_64"])
    pop = pop[pop.econ_population_all_ages > 0].reset_index().sort_values("period").groupby("area_code").tail(1)
    pop = pop.set_index("area_code")
    claimant = public[(public.dataset == "nomis_claimant_count") & (public.measure == "econ_claimant_rate")]
    rate = claimant.sort_values("period").groupby("area_code").tail(12).groupby("area_code").value.mean()
    imd = public[public.measure == "econ_imd_avg_score"].copy()
    # a county's own upper-tier figure, every other council's district figure; newest release first
    imd["own"] = [
        (d == "mhclg_iod_utla") == (councils[a].tier == "county") if a in councils else False
        for d, a in zip(imd.dataset, imd.area_code, strict=True)
    ]
    imd = imd.sort_values(["period", "own", "dataset"], ascending=[False, False, True]).drop_duplicates("area_code")
    imd = imd.set_index("area_code").value
    land = public[(public.measure == "econ_land_area_hectares") & (public.value > 0)]
    land = land.sort_values(["period", "dataset"], ascending=[False, True]).drop_duplicates("area_code")
    land = land.set_index("area_code").value
    out = []
    for code in sorted(councils):
        people = float(pop.loc[code, "econ_population_all_ages"])
        out.append(
            {
                "council_code": code,
                "tier": councils[code].tier,
                "population": math.log(people),
                "share_16_64": float(pop.loc[code, "econ_population_16_64"]) / people,
                "claimant_rate": float(rate[code]),
                "deprivation": float(imd[code]) if code in imd.index else math.nan,
                "density": math.log(people / float(land[code])) if code in land.index else math.nan,
            }
        )
    return pd.DataFrame(out).set_index("council_code")


def recompute(features: pd.DataFrame, weights: dict[str, float], tier_weight: float, count: int) -> dict:
    """council -> [(distance, neighbour, {feature: weighted squared difference})], nearest
    first; a missing figure's z-score is 0 (the councils' mean)."""
    x = features[list(FEATURES)]
    z = ((x - x.mean()) / x.std(ddof=0)).fillna(0.0).to_numpy()
    onehot = np.array([[1.0 if t == tier else 0.0 for tier in TIERS] for t in features.tier])
    w = np.array([weights[f] for f in FEATURES])
    codes = list(features.index)
    out = {}
    for i, code in enumerate(codes):
        parts = (z - z[i]) ** 2 * w
        d2_tier = tier_weight**2 * ((onehot - onehot[i]) ** 2).sum(axis=1)
        d2 = parts.sum(axis=1) + d2_tier
        order = sorted((round(float(d2[j]), 9), codes[j], j) for j in range(len(codes)) if j != i)[:count]
        out[code] = [
            (math.sqrt(d), c, {**dict(zip(FEATURES, parts[j], strict=True)), "tier": d2_tier[j]}) for d, c, j in order
        ]
    return out


def configured() -> tuple[dict[str, float], float, int]:
    v = dbt_vars()
    return (
        {k: float(x) for k, x in v["neighbour_weights"].items()},
        float(v["neighbour_tier_weight"]),
        int(v["neighbour_count"]),
    )


def test_every_weight_is_documented_and_the_old_features_keep_weight_1():
    weights, tier_weight, _ = configured()
    assert set(weights) == set(FEATURES)
    assert weights["population"] == weights["share_16_64"] == weights["claimant_rate"] == tier_weight == 1.0
    assert all(w >= 0 for w in weights.values())


def test_nearest_neighbours_match_an_independent_recomputation(public, mart):
    expected = recompute(raw_features(public), *configured())
    assert set(mart.council_code) == set(expected)
    for code, nearest in expected.items():
        got = mart[mart.council_code == code].sort_values("neighbour_rank")
        assert list(got.neighbour_code) == [c for _, c, _ in nearest], code
        assert [float(v) for v in got.distance] == pytest.approx([d for d, _, _ in nearest], abs=1e-5), code
        for feature in (*FEATURES, "tier"):
            column = [float(v) for v in got[f"distance2_{feature}"]]
            assert column == pytest.approx([parts[feature] for _, _, parts in nearest], abs=1e-5), (code, feature)


def test_the_mart_shows_each_councils_own_deprivation_and_density(public, mart):
    features = raw_features(public)
    for r in mart.drop_duplicates("council_code").itertuples():
        imd, density = features.loc[r.council_code, ["deprivation", "density"]]
        shown_imd = math.nan if r.council_imd_avg_score is None else float(r.council_imd_avg_score)
        shown_density = math.nan if r.council_residents_per_hectare is None else float(r.council_residents_per_hectare)
        assert shown_imd == pytest.approx(imd, abs=5e-4, nan_ok=True), r.council_code
        assert shown_density == pytest.approx(math.exp(density), abs=5e-3, nan_ok=True), r.council_code


def test_the_test_warehouse_has_deprivation_and_density_for_every_council(built, public):
    """The sample IoD (File 10 and 11) and land-area files cover all 33 councils, so the
    recomputation above exercises the new features, and the model's warn tests stay quiet."""
    features = raw_features(public)
    assert features[["deprivation", "density"]].notna().all().all(), features[features.isna().any(axis=1)]
    with connect(built.warehouse) as conn:
        imputed = conn.execute(
            "select feature, councils_imputed from marts.mart_neighbour_model_features where councils_imputed > 0"
        ).fetchall()
    assert imputed == []


def test_the_before_and_after_comparison_agrees_with_the_recomputation(built, public):
    from councilbench.reports import neighbour_changes

    weights, tier_weight, count = configured()
    features = raw_features(public)
    model, changes = neighbour_changes.compare(built.warehouse)
    assert model.weights == {**weights, "tier": tier_weight}
    # "now" as the mart has it, and the model's distance in numpy gives the same lists
    now = recompute(features, weights, tier_weight, count)
    assert {c.council_code: list(c.after) for c in changes} == {k: [c for _, c, _ in v] for k, v in now.items()}
    assert neighbour_changes.nearest(model, model.weights) == model.lists
    # "before": deprivation and density weighted 0, which is the model before issue 17
    old = recompute(features, {**weights, "deprivation": 0.0, "density": 0.0}, tier_weight, count)
    assert {c.council_code: list(c.before) for c in changes} == {k: [c for _, c, _ in v] for k, v in old.items()}
    text = neighbour_changes.lines(model, changes)
    changed = [c for c in changes if c.gained]
    assert text[-1].startswith(f"{len(changed)} of 33 councils have different nearest neighbours")
    assert len(text) == 3 * len(changed) + 1


def test_a_weights_override_that_leaves_a_feature_out_is_refused(built):
    result = run_dbt(
        built.warehouse,
        ["compile", "--select", "int_council__nearest_neighbours", "--vars", "{neighbour_weights: {population: 1}}"],
        raise_on_failure=False,
    )
    assert not result.success
