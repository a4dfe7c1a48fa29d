"""The oracle's comparison groups and nearest-neighbour model marts, as
_marts__benchmarking.yml describes them: mart_council_neighbours (why two councils are
neighbours: each feature's figure, z-score and part of the distance),
mart_neighbour_model_features (the model, one row per feature) and mart_comparison_groups
(who each council is compared with). The model and the groups are benchmark.py's, the
ones mart_benchmark is recomputed in (benchmark.neighbour_model, benchmark.groups_of).

Where the docs are silent, and the SQL was read:
- the decimals published: z-scores, distances and distance2_* 6, part_* 4, the share
  aged 16-64 4, the claimant rate and the IMD score 3, residents per hectare 2, the
  features' mean and sd 6; the distances are taken over the z-scores as published (6
  decimals), so they are exact here;
- mart_neighbour_model_features' feature_name, definition, source and metric_ids are
  words the docs do not give: taken from the model as they are (MODEL_FEATURES); its
  periods are the distinct periods of the councils' figures, in order, joined by ', '
  (the claimant rate's 'first month to last month');
- the tier's row counts every council in the model as having a figure and has no mean,
  sd or period.
Docs and SQL disagree nowhere found.
"""

from __future__ import annotations

import math
from decimal import Decimal

from councilbench.dev.oracle.benchmark import NEIGHBOUR_FEATURES, World, groups_of, neighbour_model, round_to

#: The z-score columns of mart_council_neighbours, by feature.
Z_COLUMN = {
    "population": "z_log_population",
    "share_16_64": "z_share_16_64",
    "claimant_rate": "z_claimant_rate",
    "deprivation": "z_imd_avg_score",
    "density": "z_log_density",
}

#: mart_neighbour_model_features' words for each feature: name, definition, source, metric ids.
MODEL_FEATURES = {
    "population": (
        "Number of residents",
        "ln(residents) of the latest mid-year estimate, z-scored over the councils",
        "ONS mid-year population estimates (NOMIS NM_2002_1)",
        "econ_population_all_ages",
    ),
    "share_16_64": (
        "Share of residents aged 16-64",
        "Residents aged 16-64 / all residents (the age profile), z-scored over the councils",
        "ONS mid-year population estimates (NOMIS NM_2002_1)",
        "econ_population_16_64, econ_population_all_ages",
    ),
    "claimant_rate": (
        "Claimant rate",
        "Mean claimant rate (% of residents aged 16-64) over the latest 12 published months, z-scored over "
        "the councils",
        "DWP claimant count (NOMIS NM_162_1)",
        "econ_claimant_rate",
    ),
    "deprivation": (
        "Deprivation (IMD average score)",
        "Index of Multiple Deprivation average score (higher is more deprived; a county's own upper-tier "
        "figure), z-scored over the councils that have one; a council without one counts as the mean "
        "(z-score 0)",
        "MHCLG English Indices of Deprivation 2025, local authority summaries (File 10; File 11 for counties)",
        "econ_imd_avg_score",
    ),
    "density": (
        "Residents per hectare",
        "ln(residents of the latest mid-year estimate / hectares of land of the latest release), z-scored "
        "over the councils that have one; a council without one counts as the mean (z-score 0)",
        "ONS Standard Area Measurements (land area, AREALHECT) and mid-year population estimates",
        "econ_land_area_hectares, econ_population_all_ages",
    ),
    "tier": (
        "Type of council",
        "Metropolitan borough, unitary, county or district as a one-hot: a different type adds "
        "2 x weight^2 to the squared distance, the same type 0",
        "The council registry (seed council_registry)",
        None,
    ),
}


def _sqrt(x: Decimal) -> Decimal:
    return x.sqrt() if x else Decimal(0)


def _figures(inputs: dict) -> dict:
    """A council's published figures: residents, the 16-64 share, the claimant rate, the
    IMD score and residents per hectare (null without a land area)."""
    land = inputs["land_area_hectares"]
    return {
        "population": inputs["population"],
        "share_16_64": round_to(inputs["population_16_64"] / inputs["population"], 4),
        "claimant_rate": round_to(inputs["claimant_rate"], 3),
        "imd_avg_score": round_to(inputs["imd_avg_score"], 3),
        "residents_per_hectare": None if land is None else round_to(inputs["population"] / land, 2),
    }


def council_neighbours(world: World) -> list[dict]:
    """One row per council and neighbour, nearest first: the distance, each feature's term
    and part of it, and both councils' figures and z-scores."""
    model = neighbour_model(world)
    count = int(world.vars["neighbour_count"])
    out = []
    for a, pairs in model.distances.items():
        mine = _figures(model.inputs[a])
        for rank, (distance2, b, terms) in enumerate(pairs[:count], start=1):
            theirs = _figures(model.inputs[b])
            row = {
                "council_code": a,
                "council_name": world.councils[a].name,
                "council_tier": world.councils[a].tier,
                "neighbour_rank": rank,
                "neighbour_code": b,
                "neighbour_name": world.councils[b].name,
                "neighbour_tier": world.councils[b].tier,
                "distance": round_to(_sqrt(distance2), 6),
            }
            for f in (*NEIGHBOUR_FEATURES, "tier"):
                row[f"distance2_{f}"] = round_to(terms[f], 6)
            for f in (*NEIGHBOUR_FEATURES, "tier"):
                row[f"part_{f}"] = round_to(terms[f] / distance2, 4) if distance2 else None
            for figure in mine:
                row[f"council_{figure}"] = mine[figure]
                row[f"neighbour_{figure}"] = theirs[figure]
            for f, column in Z_COLUMN.items():
                row[f"council_{column}"] = model.z[a][f]
                row[f"neighbour_{column}"] = model.z[b][f]
            inputs = model.inputs[a]
            row |= {
                "population_year": inputs["population_year"],
                "claimant_months": inputs["claimant_months"],
                "imd_period": inputs["imd_period"],
                "land_area_period": inputs["land_area_period"],
            }
            out.append(row)
    return out


def _periods(model, feature: str) -> str | None:
    """The distinct periods of the councils' figures for a feature, in order."""
    key = {
        "population": "population_year",
        "share_16_64": "population_year",
        "claimant_rate": "claimant_months",
        "deprivation": "imd_period",
        "density": "land_area_period",
    }[feature]
    found = sorted({str(x[key]) for x in model.inputs.values() if x[key] is not None})
    return ", ".join(found) or None


def model_features(world: World) -> list[dict]:
    """One row per feature of the model, the type of council last."""
    model = neighbour_model(world)
    weights = world.vars["neighbour_weights"]
    councils = len(model.inputs)
    out = []
    for order, feature in enumerate((*NEIGHBOUR_FEATURES, "tier"), start=1):
        name, definition, source, metric_ids = MODEL_FEATURES[feature]
        row = {
            "feature_order": order,
            "feature": feature,
            "feature_name": name,
            "weight": Decimal(str(world.vars["neighbour_tier_weight"] if feature == "tier" else weights[feature])),
            "definition": definition,
            "source": source,
            "metric_ids": metric_ids,
        }
        if feature == "tier":
            row |= {
                "periods": None,
                "councils_with_figure": councils,
                "councils_imputed": 0,
                "feature_mean": None,
                "feature_sd": None,
            }
        else:
            mean, sd, have = model.stats[feature]
            row |= {
                "periods": _periods(model, feature),
                "councils_with_figure": have,
                "councils_imputed": councils - have,
                "feature_mean": None if mean is None else round_to(Decimal(repr(mean)), 6),
                "feature_sd": None if sd is None or math.isnan(sd) else round_to(Decimal(repr(sd)), 6),
            }
        out.append(row)
    return out


def comparison_groups(world: World, neighbours: list[dict]) -> list[dict]:
    """One row per council, group and member (the council itself included): the groups each
    council is benchmarked in, with its neighbours' ranks and distances."""
    distance = {(r["council_code"], r["neighbour_code"]): (r["neighbour_rank"], r["distance"]) for r in neighbours}
    out = []
    for code in world.councils:
        for g in groups_of(world, code):
            for member in sorted(g.members):
                rank = dist = None
                if g.group_type == "nearest_neighbours":
                    rank, dist = (0, Decimal(0)) if member == code else distance[(code, member)]
                out.append(
                    {
                        "council_code": code,
                        "group_type": g.group_type,
                        "group_id": g.group_id,
                        "group_label": g.label,
                        "member_council_code": member,
                        "member_council_name": world.councils[member].name,
                        "member_tier": world.councils[member].tier,
                        "is_self": member == code,
                        "neighbour_rank": rank,
                        "neighbour_distance": dist,
                    }
                )
    return out


def recompute(world: World) -> dict[str, list[dict]]:
    neighbours = council_neighbours(world)
    return {
        "mart_council_neighbours": neighbours,
        "mart_neighbour_model_features": model_features(world),
        "mart_comparison_groups": comparison_groups(world, neighbours),
    }
