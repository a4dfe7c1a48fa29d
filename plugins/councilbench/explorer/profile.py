"""The council profile's data ("How <council> compares"): where the council sits on every
measure its tier delivers, what changed since last month, its outliers, its nearest
neighbours and why they are its neighbours, and the councils it could learn from.

"Now" is what the monthly pack shows: for each metric the latest period carried by the
returns of the newest month with an accepted return (reports.data.latest_periods), and
"last month" is the same as of the month before. Positions are the region group's of
mart_benchmark (every council that delivers the service).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from councilbench.core import calendar
from councilbench.explorer import db
from councilbench.explorer.metric import MIN_COUNCILS
from councilbench.reports import data
from councilbench.reports import format as fmt
from councilbench.reports.data import CouncilInfo, MetricInfo

#: How many councils to suggest per measure.
LEARN_FROM_PER_METRIC = 3

#: A feature's part of the squared distance below this (z-scores under half a standard
#: deviation apart) counts as alike.
CLOSE_DISTANCE2 = 0.25

#: The features of mart_council_neighbours, by the suffix of their columns, with plain names.
FEATURES = {
    "population": "number of residents",
    "share_16_64": "share of residents aged 16-64",
    "claimant_rate": "claimant rate",
    "deprivation": "deprivation",
    "density": "residents per hectare",
    "tier": "type of council",
}
#: Their column headings in the table of contributions (one column each, so short).
FEATURE_HEADINGS = {
    "population": "Residents",
    "share_16_64": "Aged 16-64",
    "claimant_rate": "Claimant rate",
    "deprivation": "Deprivation",
    "density": "Density",
    "tier": "Type of council",
}


@dataclass(frozen=True)
class AsAt:
    """The month the profile is as of, and each metric's period now and a month earlier."""

    month: str | None
    current: dict[str, str]
    previous: dict[str, str]


def as_at() -> AsAt:
    return _as_at(db.warehouse().url)


@st.cache_data(ttl=db.CACHE_SECONDS, show_spinner=False)
def _as_at(url: str) -> AsAt:
    with db.marts() as conn:
        month = data.latest_return_month(conn)
        if month is None:
            return AsAt(None, {}, {})
        before = calendar.add_months(month, -1)
        return AsAt(month, data.latest_periods(conn, month), data.latest_periods(conn, before))


# --- positions ----------------------------------------------------------------------------------------


def _benchmark(council_code: str, periods: dict[str, str], group_types: tuple[str, ...] = ("region",)) -> pd.DataFrame:
    """The council's mart_benchmark rows at the given period of each metric."""
    rows = db.cached_query(
        """
        select b.metric_id, b.period, b.group_type, b.group_label, b.normalised_value, b.value_status, b.rank,
               b.quartile, b.not_ranked_reason, b.group_size, b.group_median, b.vs_region, b.region_value, b.previous_period,
               b.direction_vs_previous, b.direction_vs_last_year, b.trend_direction, b.is_outlier, b.outlier_score
        from marts.mart_benchmark b
        join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)
        where b.council_code = %s and b.group_type = any(%s)""",
        (list(periods), list(periods.values()), council_code, list(group_types)),
    )
    rows = rows.copy()
    for column in ("normalised_value", "group_median", "region_value", "outlier_score"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    for column in ("rank", "quartile", "group_size"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("Int64")
    return rows


def delivered(council: CouncilInfo, metrics: dict[str, MetricInfo], periods: dict[str, str]) -> list[MetricInfo]:
    """The metrics the council's tier delivers that some council has a figure for, in
    report order (service area, ranked before context, name)."""
    found = [m for m in metrics.values() if council.tier in m.delivering_tiers and m.metric_id in periods]
    return sorted(found, key=lambda m: (fmt.service_area_rank(m.service_area), not m.ranked, m.metric_name))


def positions(council: CouncilInfo, metrics: dict[str, MetricInfo], now: AsAt) -> pd.DataFrame:
    """One row per delivered metric with a figure from the council: its region row of
    mart_benchmark at the metric's current period, in report order, with the metric's
    name and service area."""
    order = delivered(council, metrics, now.current)
    rows = _benchmark(council.council_code, {m.metric_id: now.current[m.metric_id] for m in order})
    rank_of = {m.metric_id: i for i, m in enumerate(order)}
    rows["order"] = rows["metric_id"].map(rank_of)
    rows = rows.sort_values("order").drop(columns="order").reset_index(drop=True)
    rows["metric_label"] = [metrics[i].metric_name for i in rows["metric_id"]]
    rows["area_label"] = [fmt.service_area_label(metrics[i].service_area) for i in rows["metric_id"]]
    rows["ranked"] = [metrics[i].ranked for i in rows["metric_id"]]
    return rows


def missing(council: CouncilInfo, metrics: dict[str, MetricInfo], now: AsAt, shown: pd.DataFrame) -> list[str]:
    """Delivered metrics with no figure from the council for their current period."""
    have = set(shown["metric_id"])
    return [
        f"{m.metric_name} ({fmt.short_period(now.current[m.metric_id])})"
        for m in delivered(council, metrics, now.current)
        if m.metric_id not in have
    ]


def positions_table(rows: pd.DataFrame, metrics: dict[str, MetricInfo]) -> pd.DataFrame:
    """The positions as the page shows them (the figures of the quartile strip)."""
    return pd.DataFrame(
        {
            "Service area": rows["area_label"],
            "Measure": rows["metric_label"],
            "Period": [fmt.short_period(p) for p in rows["period"]],
            "Value": [metrics[i].show(v) for i, v in zip(rows["metric_id"], rows["normalised_value"], strict=True)],
            "Rank": rows["rank"],
            "Of": rows["group_size"],
            "Quartile": [_quartile(r) for r in rows.itertuples(index=False)],
            "Compared with the West Midlands": [
                fmt.comparison_text(v) if isinstance(v, str) else "–" for v in rows["vs_region"]
            ],
            "Trend": [_direction(d) for d in rows["trend_direction"]],
            "Caveats": [_caveats(r) for r in rows.itertuples(index=False)],
        }
    )


def _quartile(r) -> str:
    """The quartile in words; else why not: a group too small to rank (the mart's
    not_ranked_reason, 'Not ranked: only 3 councils in this group deliver it (at least 4
    needed)'), or a context metric."""
    if pd.notna(r.quartile):
        return fmt.quartile_text(r.quartile)
    why = fmt.not_ranked_text(r.not_ranked_reason, r.group_size) if r.ranked else None
    return why.capitalize() if why else "Not ranked (context)"


def _caveats(r) -> str:
    """What belongs beside a position: an estimate, a small group, a figure not comparable."""
    out = []
    if r.value_status == "estimate":
        out.append("estimate")
    if r.ranked and pd.notna(r.group_size) and r.group_size < MIN_COUNCILS:
        out.append(f"only {fmt.plural(int(r.group_size), 'council')} reported")
    if r.ranked and r.trend_direction == "not comparable":
        out.append("no trend: year to date or too few periods")
    return "; ".join(out)


def area_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per service area: how many ranked measures sit in each quartile."""
    ranked = rows[rows["quartile"].notna()]
    table = (
        ranked.groupby("area_label", sort=False)["quartile"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=[1, 2, 3, 4], fill_value=0)
    )
    table.columns = [fmt.QUARTILE_LABELS[q] for q in table.columns]
    table.insert(0, "Ranked measures", table.sum(axis=1))
    return table.reset_index().rename(columns={"area_label": "Service area"})


def _direction(d) -> str:
    return f"{fmt.direction_symbol(d)} {fmt.direction_text(d)}" if isinstance(d, str) else "–"


# --- what changed since last month ----------------------------------------------------------------------


def changes(council: CouncilInfo, metrics: dict[str, MetricInfo], now: AsAt, current: pd.DataFrame) -> pd.DataFrame:
    """Measures with a newer period than last month's, the council's figure then and
    now: value, rank and quartile in the region, and the mart's direction when the
    earlier period is the one just before (never month on month for a year-to-date
    figure). Biggest moves in rank first."""
    before_periods = {
        i: now.previous[i] for i in current["metric_id"] if i in now.previous and now.previous[i] != now.current[i]
    }
    columns = [
        "Measure",
        "From",
        "To",
        "Value then",
        "Value now",
        "Rank then",
        "Rank now",
        "Of",
        "Quartile",
        "Direction",
    ]
    if not before_periods:
        return pd.DataFrame(columns=columns)
    before = _benchmark(council.council_code, before_periods).set_index("metric_id")
    out = []
    for r in current[current["metric_id"].isin(list(before_periods))].itertuples(index=False):
        m = metrics[r.metric_id]
        b = before.loc[r.metric_id] if r.metric_id in before.index else None
        rank_then = b["rank"] if b is not None else pd.NA
        direction = r.direction_vs_previous if m.ranked and before_periods[r.metric_id] == r.previous_period else None
        out.append(
            {
                "Measure": m.metric_name,
                "From": fmt.short_period(before_periods[r.metric_id]),
                "To": fmt.short_period(r.period),
                "Value then": m.show(b["normalised_value"]) if b is not None else "no figure",
                "Value now": m.show(r.normalised_value),
                "Rank then": rank_then,
                "Rank now": r.rank,
                "Of": r.group_size,
                "Quartile": _quartile_move(b["quartile"] if b is not None else pd.NA, r.quartile)
                if pd.notna(r.quartile) or not r.ranked
                else _quartile(r),
                "Direction": _direction(direction) if m.ranked else "Context: not ranked",
                "_move": abs(int(rank_then) - int(r.rank)) if pd.notna(rank_then) and pd.notna(r.rank) else -1,
            }
        )
    table = pd.DataFrame(out).sort_values(["_move", "Measure"], ascending=[False, True])
    return table.drop(columns="_move").reset_index(drop=True).astype({"Rank then": "Int64", "Rank now": "Int64"})


def _quartile_move(then, now) -> str:
    if pd.isna(now):
        return "Not ranked"
    if pd.isna(then) or int(then) == int(now):
        return fmt.quartile_text(now)
    word = "up" if int(now) < int(then) else "down"
    return f"{word}: {fmt.quartile_text(then)} → {fmt.quartile_text(now).lower()}"


# --- outliers -----------------------------------------------------------------------------------------


def outliers(council: CouncilInfo, metrics: dict[str, MetricInfo], now: AsAt, current: pd.DataFrame) -> pd.DataFrame:
    """The council's figures far from the median of the region or of its nearest
    neighbours (mart_benchmark.is_outlier: 3.5 median deviations or more)."""
    periods = {i: now.current[i] for i in current["metric_id"]}
    rows = _benchmark(council.council_code, periods, ("region", "nearest_neighbours"))
    rows = rows[rows["is_outlier"].fillna(False).astype(bool)]
    table = pd.DataFrame(
        {
            "Measure": [metrics[i].metric_name for i in rows["metric_id"]],
            "Period": [fmt.short_period(p) for p in rows["period"]],
            "Compared with": ["the region" if g == "region" else "its nearest neighbours" for g in rows["group_type"]],
            "Value": [metrics[i].show(v) for i, v in zip(rows["metric_id"], rows["normalised_value"], strict=True)],
            "Group median": [metrics[i].show(v) for i, v in zip(rows["metric_id"], rows["group_median"], strict=True)],
            "How far": [_how_far(s) for s in rows["outlier_score"]],
            "Reading": [
                _outlier_reading(metrics[i], s) for i, s in zip(rows["metric_id"], rows["outlier_score"], strict=True)
            ],
        }
    )
    return table.reset_index(drop=True)


def _how_far(score: float) -> str:
    return f"{abs(score):.1f} median deviations {'above' if score > 0 else 'below'} the median"


def _outlier_reading(metric: MetricInfo, score: float) -> str:
    if not metric.ranked:
        return "unusually high" if score > 0 else "unusually low"
    good = (score > 0) == (metric.polarity == "higher_is_better")
    return "unusually good: worth sharing how" if good else "unusually poor: worth checking the figure and the cause"


# --- nearest neighbours -------------------------------------------------------------------------------


_NEIGHBOUR_NUMBERS = (
    "distance",
    *(f"distance2_{key}" for key in FEATURES),
    *(f"part_{key}" for key in FEATURES),
    "council_population",
    "neighbour_population",
    "council_share_16_64",
    "neighbour_share_16_64",
    "council_claimant_rate",
    "neighbour_claimant_rate",
    "council_imd_avg_score",
    "neighbour_imd_avg_score",
    "council_residents_per_hectare",
    "neighbour_residents_per_hectare",
)


def neighbours(council: CouncilInfo) -> pd.DataFrame:
    """mart_council_neighbours for the council, nearest first."""
    rows = db.cached_query(
        """
        select neighbour_rank, neighbour_code, neighbour_name, neighbour_tier, distance,
               distance2_population, distance2_share_16_64, distance2_claimant_rate, distance2_deprivation,
               distance2_density, distance2_tier, part_population, part_share_16_64, part_claimant_rate,
               part_deprivation, part_density, part_tier,
               council_population, neighbour_population, council_share_16_64, neighbour_share_16_64,
               council_claimant_rate, neighbour_claimant_rate, council_imd_avg_score, neighbour_imd_avg_score,
               council_residents_per_hectare, neighbour_residents_per_hectare, population_year, claimant_months,
               imd_period, land_area_period
        from marts.mart_council_neighbours where council_code = %s order by neighbour_rank""",
        (council.council_code,),
    )
    rows = rows.copy()
    for column in _NEIGHBOUR_NUMBERS:
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    return rows


def neighbours_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The neighbours as shown: their features beside the distance, and which features
    make them close (the smallest parts of the squared distance) and which keep them apart."""
    return pd.DataFrame(
        {
            "Nearest": rows["neighbour_rank"].astype("Int64"),
            "Council": rows["neighbour_name"],
            "Type": [t.replace("_", " ") for t in rows["neighbour_tier"]],
            "Residents": [f"{int(v):,}" for v in rows["neighbour_population"]],
            "Aged 16-64": [f"{100 * v:.1f}%" for v in rows["neighbour_share_16_64"]],
            "Claimant rate": [f"{v:.1f}%" for v in rows["neighbour_claimant_rate"]],
            "IMD score": [_number(v, ".1f") for v in rows["neighbour_imd_avg_score"]],
            "Residents per hectare": [_number(v, ".1f") for v in rows["neighbour_residents_per_hectare"]],
            "Distance": rows["distance"].round(2),
            "Most alike in": [_alike(r)[0] for r in rows.itertuples(index=False)],
            "Differs most in": [_alike(r)[1] for r in rows.itertuples(index=False)],
        }
    )


def _alike(r) -> tuple[str, str]:
    """(the measured features adding least to the squared distance: the smallest, and any
    other within half a standard deviation, the feature adding most, the type of council
    included)."""
    parts = {name: getattr(r, f"distance2_{key}") for key, name in FEATURES.items()}
    measured = sorted(((n, d2) for n, d2 in parts.items() if n != FEATURES["tier"]), key=lambda kv: kv[1])
    alike = [n for i, (n, d2) in enumerate(measured) if i == 0 or d2 < CLOSE_DISTANCE2]
    most = max(parts.items(), key=lambda kv: kv[1])
    return ", ".join(alike), most[0] if most[1] > 0 else "–"


def _number(value: float, spec: str) -> str:
    """A feature value, or a dash where the council has none (it counts as the mean)."""
    return "–" if pd.isna(value) else format(value, spec)


def contributions_table(rows: pd.DataFrame) -> pd.DataFrame:
    """What each feature adds to each neighbour's distance: its share of the squared
    distance (part_* of mart_council_neighbours, weights applied), in per cent."""
    out = pd.DataFrame({"Council": rows["neighbour_name"], "Distance": rows["distance"].round(2)})
    for key, heading in FEATURE_HEADINGS.items():
        out[heading] = [_number(100 * v, ".0f") + ("" if pd.isna(v) else "%") for v in rows[f"part_{key}"]]
    return out


def model_features() -> pd.DataFrame:
    """The model's features as mart_neighbour_model_features lists them: weight, what each
    is, its source and how many councils count as the mean for want of a figure."""
    rows = db.cached_query(
        """
        select feature_name, weight, definition, source, periods, councils_imputed
        from marts.mart_neighbour_model_features order by feature_order"""
    )
    return pd.DataFrame(
        {
            "Feature": rows["feature_name"],
            "Weight": pd.to_numeric(rows["weight"]).astype(float),
            "Councils without a figure": pd.to_numeric(rows["councils_imputed"]).astype("Int64"),
            "Period": rows["periods"].fillna("–"),
            "Source": rows["source"],
            "What it is": rows["definition"],
        }
    )


def own_features(rows: pd.DataFrame) -> str | None:
    """The council's own feature values, from any of its neighbour rows."""
    if rows.empty:
        return None
    r = rows.iloc[0]
    imd = (
        "no IMD score (counted as the councils' mean)"
        if pd.isna(r["council_imd_avg_score"])
        else f"IMD average score {r['council_imd_avg_score']:.1f} ({r['imd_period']})"
    )
    density = (
        "no land area (density counted as the councils' mean)"
        if pd.isna(r["council_residents_per_hectare"])
        else f"{r['council_residents_per_hectare']:.1f} residents per hectare"
    )
    return (
        f"{int(r['council_population']):,} residents ({r['population_year']} estimate), "
        f"{100 * r['council_share_16_64']:.1f}% aged 16-64, claimant rate {r['council_claimant_rate']:.1f}% "
        f"(mean over {r['claimant_months']}), {imd}, {density}"
    )


# --- councils to learn from ---------------------------------------------------------------------------


def learn_from(council: CouncilInfo, metrics: dict[str, MetricInfo], current: pd.DataFrame) -> pd.DataFrame:
    """For each ranked measure where the council is not in the region's top quartile, up
    to LEARN_FROM_PER_METRIC councils of mart_best_practice (top quartile, improving,
    better than a year earlier), the council's weakest positions first."""
    mine = current[current["quartile"].notna() & (current["quartile"] > 1)]
    columns = ["Measure", "Your position", "Council to ask", "Their position", "Why", "Website"]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    best = db.cached_query(
        """
        select metric_id, council_code, council_name, website, period, rank, group_size, why
        from marts.mart_best_practice where metric_id = any(%s) and council_code <> %s
        order by metric_id, rank, council_name""",
        (mine["metric_id"].tolist(), council.council_code),
    )
    out = []
    for r in mine.sort_values(["quartile", "rank"], ascending=False).itertuples(index=False):
        for b in best[best["metric_id"] == r.metric_id].head(LEARN_FROM_PER_METRIC).itertuples(index=False):
            out.append(
                {
                    "Measure": metrics[r.metric_id].metric_name,
                    "Your position": f"{fmt.rank_text(r.rank, r.group_size)} in {fmt.short_period(r.period)}",
                    "Council to ask": b.council_name,
                    "Their position": f"{fmt.rank_text(b.rank, b.group_size)} in {fmt.short_period(b.period)}",
                    "Why": b.why,
                    "Website": b.website,
                }
            )
    return pd.DataFrame(out, columns=columns)


def own_best_practice(council: CouncilInfo) -> pd.DataFrame:
    """Where the council itself is a council to learn from (mart_best_practice)."""
    return db.cached_query(
        "select metric_id, metric_name, why from marts.mart_best_practice where council_code = %s order by metric_name",
        (council.council_code,),
    )
