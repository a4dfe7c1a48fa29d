"""What deprivation and density change in the nearest-neighbour model: every council's
neighbours as the warehouse has them (mart_council_neighbours, built with the weights in
mart_neighbour_model_features) beside the neighbours the same z-scores give with
deprivation and density weighted 0, the model as it was before they were added.

Only the marts are read: each council's z-scores are its council_z_* columns in
mart_council_neighbours. nearest() is the model's distance (int_council__nearest_neighbours)
in numpy, so any weights can be tried without a dbt build; with the weights the marts were
built with it gives the marts' own lists (tests/warehouse/test_neighbour_model.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from councilbench.reports.format import display_name
from councilbench.warehouse.connection import Warehouse

#: The features added by issue 17, weighted 0 for "before".
NEW_FEATURES = ("deprivation", "density")
#: Feature -> its z-score column in mart_council_neighbours (council_z_<column>).
Z_COLUMNS = {
    "population": "z_log_population",
    "share_16_64": "z_share_16_64",
    "claimant_rate": "z_claimant_rate",
    "deprivation": "z_imd_avg_score",
    "density": "z_log_density",
}
TIERS = ("metropolitan_borough", "unitary", "county", "district")


@dataclass(frozen=True)
class Model:
    """The councils' z-scores and tiers, and the weights the marts were built with."""

    codes: list[str]
    names: dict[str, str]  # short names (Dudley, not Dudley Metropolitan Borough Council)
    tiers: list[str]
    z: np.ndarray  # councils x features, in Z_COLUMNS order
    weights: dict[str, float]  # feature -> weight, "tier" included
    count: int
    lists: dict[str, list[str]]  # the marts' neighbours, nearest first


@dataclass(frozen=True)
class NeighbourChange:
    council_code: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def gained(self) -> list[str]:
        return [c for c in self.after if c not in self.before]

    @property
    def lost(self) -> list[str]:
        return [c for c in self.before if c not in self.after]


def read_model(conn) -> Model:
    z = ", ".join(f"council_{c}" for c in Z_COLUMNS.values())
    rows = conn.execute(
        f"""select council_code, council_name, council_tier, {z}, neighbour_code
            from marts.mart_council_neighbours order by council_code, neighbour_rank"""
    ).fetchall()
    weights = dict(conn.execute("select feature, weight from marts.mart_neighbour_model_features").fetchall())
    lists: dict[str, list[str]] = {}
    by_code = {}
    for code, name, tier, *rest in rows:
        lists.setdefault(code, []).append(rest[-1])
        by_code[code] = (name, tier, [float(v) for v in rest[:-1]])
    codes = sorted(by_code)
    return Model(
        codes=codes,
        names={c: display_name(by_code[c][0]) for c in codes},
        tiers=[by_code[c][1] for c in codes],
        z=np.array([by_code[c][2] for c in codes]).reshape(len(codes), len(Z_COLUMNS)),
        weights={k: float(v) for k, v in weights.items()},
        count=max((len(v) for v in lists.values()), default=0),
        lists=lists,
    )


def nearest(model: Model, weights: dict[str, float]) -> dict[str, list[str]]:
    """Each council's model.count nearest by the model's distance under these weights:
    sum of weight x squared z-score difference, plus tier weight^2 x the squared one-hot
    difference; ties by GSS code."""
    w = np.array([weights[f] for f in Z_COLUMNS])
    onehot = np.array([[1.0 if t == tier else 0.0 for tier in TIERS] for t in model.tiers])
    out = {}
    for i, code in enumerate(model.codes):
        d2 = ((model.z - model.z[i]) ** 2 * w).sum(axis=1) + weights["tier"] ** 2 * ((onehot - onehot[i]) ** 2).sum(
            axis=1
        )
        order = sorted((round(float(d2[j]), 9), model.codes[j]) for j in range(len(model.codes)) if j != i)
        out[code] = [c for _, c in order[: model.count]]
    return out


def compare(warehouse: Warehouse) -> tuple[Model, list[NeighbourChange]]:
    """Every council's neighbours without the new features (weights 0) and as built."""
    from councilbench.reports.data import open_marts

    with open_marts(warehouse) as conn:
        model = read_model(conn)
    before = nearest(model, {**model.weights, **dict.fromkeys(NEW_FEATURES, 0.0)})
    changes = [NeighbourChange(c, tuple(before[c]), tuple(model.lists[c])) for c in model.codes]
    return model, changes


def lines(model: Model, changes: list[NeighbourChange], *, everyone: bool = False) -> list[str]:
    """The changes as text: one line per council whose set of neighbours changed (every
    council with everyone=True), then a count."""
    name = model.names.get
    changed = [c for c in changes if c.gained]
    out = []
    for c in changes if everyone else changed:
        what = (
            f"gains {', '.join(map(name, c.gained))}; loses {', '.join(map(name, c.lost))}"
            if c.gained
            else ("same neighbours" if c.before == c.after else "same neighbours, another order")
        )
        out.append(f"{name(c.council_code)}: {what}")
        out.append(f"    before: {', '.join(map(name, c.before))}")
        out.append(f"    now:    {', '.join(map(name, c.after))}")
    weights = ", ".join(f"{f} {model.weights.get(f, 0):g}" for f in NEW_FEATURES)
    out.append(
        f"{len(changed)} of {len(changes)} councils have different nearest neighbours with deprivation and "
        f"density in the model (weights {weights}); "
        f"{sum(len(c.gained) for c in changed)} neighbours replaced in all."
    )
    return out
