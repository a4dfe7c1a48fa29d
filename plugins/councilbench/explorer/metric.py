"""The metric explorer's data: one metric, one period, one comparison group, every
delivering council in it, read from marts.mart_benchmark and shaped into the table the
page shows (and downloads as CSV, the same table).

Ranks are the mart's: rank 1 is best, read with the metric's polarity, ties share a rank.
One exception, said on the page: mart_benchmark ranks a council within its *own*
nearest-neighbours group only, so in "nearest neighbours of X" the other members'
positions are worked out here by the mart's rule (rank() over the group's values, best
first; quartile 1 + floor(4 x (rank - 1) / group size); no rank or quartile at all in a
group of fewer councils than COUNCILBENCH_MIN_GROUP_SIZE, not_ranked_reason
'group_too_small') on their mart values, and X's position is the mart's.

A group too small to rank says so where the quartile would be, in the sentence on the
chosen council and above the table: "not ranked: only 3 councils in this group deliver it
(at least 4 needed)" (format.not_ranked_text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from councilbench.core import settings
from councilbench.explorer import db
from councilbench.explorer.params import Group
from councilbench.reports import format as fmt
from councilbench.reports.data import MetricInfo

#: A position among fewer councils than this says little: the page says so beside it.
MIN_COUNCILS = 5

#: The mart columns the page reads for each council.
_COLUMNS = """b.council_code, c.council_name, c.short_name, c.tier, b.group_type, b.group_id, b.group_label,
    b.rank, b.quartile, b.not_ranked_reason, b.group_size, b.position_high_to_low, b.normalised_value, b.value_status,
    b.vs_region, b.vs_group_median, b.group_median, b.region_value, b.regional_councils, b.previous_period,
    b.change_vs_previous, b.direction_vs_previous, b.is_outlier"""


def group_rows(metric: MetricInfo, period: str, group: Group) -> pd.DataFrame:
    """Every council in the group with a figure for the metric and period, best first
    (highest first for a context metric), one row each, as the mart has them."""
    if group.group_type == "nearest_neighbours":
        return _neighbour_rows(metric, period, group)
    rows = db.cached_query(
        f"""
        select {_COLUMNS}
        from marts.mart_benchmark b join marts.dim_council c on c.council_code = b.council_code
        where b.metric_id = %s and b.period = %s and b.group_id = %s""",
        (metric.metric_id, period, group.group_id),
    )
    return _ordered(_numeric(rows))


def _neighbour_rows(metric: MetricInfo, period: str, group: Group) -> pd.DataFrame:
    rows = db.cached_query(
        f"""
        select {_COLUMNS}, g.is_self, own.rank as own_rank, own.quartile as own_quartile,
               own.group_size as own_group_size, own.group_median as own_group_median
        from marts.mart_comparison_groups g
        join marts.mart_benchmark b
          on b.council_code = g.member_council_code and b.metric_id = %s and b.period = %s and b.group_type = 'region'
        join marts.dim_council c on c.council_code = b.council_code
        left join marts.mart_benchmark own
          on own.council_code = g.council_code and own.metric_id = b.metric_id and own.period = b.period
         and own.group_id = g.group_id
        where g.group_id = %s""",
        (metric.metric_id, period, group.group_id),
    )
    rows = _numeric(rows).copy()
    if rows.empty:
        return rows
    rows["group_type"], rows["group_id"], rows["group_label"] = group.group_type, group.group_id, group.label
    rows["group_size"] = len(rows)
    rows["position_high_to_low"] = rows["normalised_value"].rank(method="min", ascending=False).astype("Int64")
    too_small = len(rows) < settings.min_group_size()  # the mart's group-size rule
    rows["not_ranked_reason"] = fmt.GROUP_TOO_SMALL if too_small else None
    for column in ("rank", "quartile"):
        rows[column] = pd.array([pd.NA] * len(rows), dtype="Int64")
    if metric.ranked and not too_small:  # rank within this group, best first, ties sharing (the mart's rank())
        best_first_ascending = metric.polarity == "lower_is_better"
        rows["rank"] = rows["normalised_value"].rank(method="min", ascending=best_first_ascending).astype("Int64")
        rows["quartile"] = pd.array([1 + math.floor(4 * (r - 1) / len(rows)) for r in rows["rank"]], dtype="Int64")
    own = rows["is_self"].astype(bool) & rows["own_rank"].notna()
    rows.loc[own, "rank"] = rows.loc[own, "own_rank"]
    rows.loc[own, "quartile"] = rows.loc[own, "own_quartile"]
    rows["group_median"] = rows["own_group_median"].dropna().iloc[0] if rows["own_group_median"].notna().any() else None
    return _ordered(rows.drop(columns=["is_self", "own_rank", "own_quartile", "own_group_size", "own_group_median"]))


def _numeric(rows: pd.DataFrame) -> pd.DataFrame:
    """Decimals as floats, ranks as nullable integers."""
    rows = rows.copy()
    for column in ("normalised_value", "group_median", "region_value", "change_vs_previous"):
        if column in rows:
            rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    for column in ("rank", "quartile", "group_size", "position_high_to_low", "regional_councils", "own_rank"):
        if column in rows:
            rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("Int64")
    return rows


def _ordered(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return rows.reset_index(drop=True)
    rows = rows.assign(_name=rows["council_name"])
    keys = (
        ["rank", "position_high_to_low", "_name"] if rows["rank"].notna().any() else ["position_high_to_low", "_name"]
    )
    return rows.sort_values(keys, na_position="last").drop(columns="_name").reset_index(drop=True)


def group_members(group: Group, metric: MetricInfo) -> pd.DataFrame:
    """The group's councils whose tier delivers the metric (mart_comparison_groups)."""
    members = db.cached_query(
        """
        select distinct member_council_code as council_code, member_council_name as council_name, member_tier
        from marts.mart_comparison_groups where group_id = %s order by member_council_name""",
        (group.group_id,),
    )
    return members[members["member_tier"].isin(metric.delivering_tiers)].reset_index(drop=True)


# --- the region and England ---------------------------------------------------------------------------


@dataclass
class Comparator:
    """A line drawn across the ranking: its name, value and how it was worked out."""

    name: str
    value: float | None
    how: str


def comparators(metric: MetricInfo, period: str, rows: pd.DataFrame) -> tuple[Comparator, Comparator]:
    """(West Midlands, England) for the period. The West Midlands figure is the mart's sum
    of numerators over sum of denominators (mart_benchmark.region_value); for an annual
    statistic published as rates only it is the published figure (mart_region_performance).
    England's comes from mart_region_performance (financial years, where a published
    comparator exists)."""
    year = db.cached_query(
        """
        select p.financial_year, p.region_published_value, p.england_value, p.comparator_source,
               p.region_vs_england_withheld_reason, p.is_complete_year
        from marts.mart_region_performance p
        join marts.dim_period d on d.financial_year = p.financial_year
        where p.metric_id = %s and d.period = %s and d.frequency = %s""",
        (metric.metric_id, period, metric.frequency),
    )
    fy = year.iloc[0] if not year.empty else None
    region_value = rows["region_value"].dropna()
    if not region_value.empty:
        count = rows["regional_councils"].dropna()
        region = Comparator(
            "West Midlands",
            float(region_value.iloc[0]),
            "the region's sum of numerators ÷ sum of denominators"
            + (f" over the {fmt.plural(int(count.iloc[0]), 'council')} that report both" if not count.empty else ""),
        )
    elif fy is not None and metric.frequency == "annual" and pd.notna(fy["region_published_value"]):
        region = Comparator("West Midlands", float(fy["region_published_value"]), "the published West Midlands figure")
    else:
        region = Comparator("West Midlands", None, "no regional figure: no council gives numerators and denominators")
    return region, _england(metric, period, fy)


def _england(metric: MetricInfo, period: str, fy) -> Comparator:
    if fy is None or pd.isna(fy["england_value"]):
        return Comparator("England", None, "the marts hold no England figure for this metric and period")
    source = fy["comparator_source"] or "a published statistic"
    if metric.frequency == "annual":
        return Comparator("England", float(fy["england_value"]), source)
    how = f"financial year {fy['financial_year']}, {source}: a figure for the year, not for {period} alone"
    if fy["region_vs_england_withheld_reason"]:
        how += f" ({fy['region_vs_england_withheld_reason']})"
    return Comparator("England", float(fy["england_value"]), how)


# --- the table shown and downloaded -------------------------------------------------------------------


@dataclass
class Shown:
    """The table as shown (and downloaded), the names of its columns, and the caveats
    that belong to the whole group rather than to one council."""

    table: pd.DataFrame
    value_column: str
    group_caveats: list[str] = field(default_factory=list)


def value_column(metric: MetricInfo) -> str:
    return f"Value ({fmt.unit_label(metric.normalised_unit, metric.unit)})"


def shown_table(metric: MetricInfo, rows: pd.DataFrame, members: pd.DataFrame) -> Shown:
    """The ranking as the page shows it, one row per council in the mart's order."""
    values = value_column(metric)
    small = len(rows) < MIN_COUNCILS
    all_not_comparable = not rows.empty and (rows["direction_vs_previous"] == "not comparable").all()
    table = pd.DataFrame(
        {
            ("Rank" if metric.ranked else "Position (highest value first)"): (
                rows["rank"] if metric.ranked else rows["position_high_to_low"]
            ),
            "Council": rows["council_name"],
            "GSS code": rows["council_code"],
            values: rows["normalised_value"],
        }
    )
    if metric.ranked:
        table["Quartile"] = [
            _quartile(q, reason, size)
            for q, reason, size in zip(rows["quartile"], rows["not_ranked_reason"], rows["group_size"], strict=True)
        ]
        table["Compared with the West Midlands"] = [_vs_region(v) for v in rows["vs_region"]]
    table["Since the period before"] = [
        _since(metric, d, c, all_not_comparable)
        for d, c in zip(rows["direction_vs_previous"], rows["change_vs_previous"], strict=True)
    ]
    table["Status"] = rows["value_status"].fillna("")
    table["Caveats"] = [_row_caveats(metric, r, small, all_not_comparable) for r in rows.itertuples(index=False)]
    return Shown(table.reset_index(drop=True), values, _group_caveats(metric, rows, members, all_not_comparable))


def _quartile(quartile, reason, group_size) -> str:
    """The quartile in words, or why there is none (a group too small to rank)."""
    if pd.notna(quartile):
        return fmt.quartile_text(quartile)
    return fmt.not_ranked_text(reason, group_size) or "not ranked"


def group_not_ranked(metric: MetricInfo, rows: pd.DataFrame) -> str | None:
    """Why nobody in the group is ranked (the mart's not_ranked_reason), in words; None when
    the group is ranked or the metric is a context one."""
    if not metric.ranked or rows.empty:
        return None
    return fmt.not_ranked_text(rows["not_ranked_reason"].iloc[0], rows["group_size"].iloc[0])


def _vs_region(vs: str | None) -> str:
    return {"better": "Better", "worse": "Worse", "same": "Same"}.get(vs, "–") if isinstance(vs, str) else "–"


def _since(metric: MetricInfo, direction, change, all_not_comparable: bool) -> str:
    amount = fmt.change(change, metric.normalised_unit, metric.unit) if pd.notna(change) else None
    if not metric.ranked:
        return amount or "–"
    if direction == "not comparable" or not isinstance(direction, str):
        return "Not comparable"
    words = f"{fmt.direction_symbol(direction)} {fmt.direction_text(direction)}"
    return f"{words} ({amount})" if amount else words


def _row_caveats(metric: MetricInfo, r, small: bool, all_not_comparable: bool) -> str:
    out = []
    if r.value_status == "estimate":
        out.append("estimate")
    if metric.ranked and small:
        out.append(f"only {fmt.plural(len_or(r.group_size), 'council')} reported")
    if metric.ranked and r.direction_vs_previous == "not comparable" and not all_not_comparable:
        out.append("change not comparable with the period before")
    if r.is_outlier is True:
        out.append("unusual value, far from the group's median")
    return "; ".join(out)


def len_or(n) -> int:
    return int(n) if pd.notna(n) else 0


def _group_caveats(
    metric: MetricInfo, rows: pd.DataFrame, members: pd.DataFrame, all_not_comparable: bool
) -> list[str]:
    out = []
    if not metric.ranked:
        out.append(
            "A context metric (demand or size): neither a higher nor a lower value is better, so councils "
            "are listed by value, highest first, and never ranked."
        )
    missing = members[~members["council_code"].isin(rows["council_code"])]
    if not members.empty:
        text = (
            f"{len(rows)} of the {fmt.plural(len(members), 'council')} in this group that deliver the service reported"
        )
        if not missing.empty:
            names = ", ".join(fmt.display_name(n) for n in missing["council_name"])
            text += f"; no figure from {names}"
        out.append(text + ".")
    not_ranked = group_not_ranked(metric, rows)
    if not_ranked:
        out.append(f"{not_ranked.capitalize()}: councils are listed by value, highest first, without a rank.")
    elif metric.ranked and len(rows) < MIN_COUNCILS:
        out.append(f"Fewer than {MIN_COUNCILS} councils reported in this group: a position among so few says little.")
    if metric.ranked and all_not_comparable:
        out.append(
            "No council's change since the period before can be read as better or worse: the figure is "
            "year to date, or there is no earlier figure to compare with."
        )
    estimates = int((rows["value_status"] == "estimate").sum()) if not rows.empty else 0
    if estimates:
        out.append(f"{fmt.plural(estimates, 'figure')} {'is an estimate' if estimates == 1 else 'are estimates'}.")
    return out


def summary(metric: MetricInfo, rows: pd.DataFrame, council_code: str | None, region: Comparator) -> str | None:
    """One sentence on the chosen council: its position, quartile and how it compares."""
    if council_code is None:
        return None
    mine = rows[rows["council_code"] == council_code]
    if mine.empty:
        return "It has no figure in this group for this period."
    r = mine.iloc[0]
    text = f"{metric.show(r['normalised_value'])}"
    if not metric.ranked:
        return f"{text}, {fmt.ordinal(int(r['position_high_to_low']))} highest of {len(rows)} (not ranked: a context metric)."
    if pd.isna(r["rank"]):
        text += f", {fmt.not_ranked_text(r['not_ranked_reason'], r['group_size']) or 'not ranked'}"
    else:
        text += f", {fmt.rank_text(r['rank'], len(rows))} ({fmt.quartile_text(r['quartile']).lower()})"
    if isinstance(r["vs_region"], str) and region.value is not None:
        text += f", {r['vs_region']} than the West Midlands ({metric.show(region.value)})"
    return text + "."


# --- the trend -----------------------------------------------------------------------------------------


def trend(
    metric: MetricInfo, periods: list[str], group: Group, council_code: str | None, council_label: str = ""
) -> pd.DataFrame:
    """Long rows (period, period_index, series, value) over the given periods: the West
    Midlands figure, the group's median and the chosen council, from mart_benchmark."""
    wide = db.cached_query(
        """
        select period, period_index,
               max(region_value) filter (where group_type = 'region') as region_value,
               max(group_median) filter (where group_id = %s) as group_median,
               max(normalised_value) filter (where group_type = 'region' and council_code = %s) as council_value
        from marts.mart_benchmark
        where metric_id = %s and period = any(%s)
        group by period, period_index order by period_index""",
        (group.group_id, council_code or "", metric.metric_id, list(periods)),
    )
    names = {"region_value": "West Midlands", "group_median": f"Median: {group.label}"}
    if council_code:
        names["council_value"] = council_label or council_code
    long = wide.melt(id_vars=["period", "period_index"], value_vars=list(names), var_name="series")
    long["series"] = long["series"].map(names)
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    return long.dropna(subset=["value"]).reset_index(drop=True)
