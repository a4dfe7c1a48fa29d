"""Each council's monthly "How <council> compares" pack: the view model the template
renders and the email summarises.

For every metric the council's tier delivers, the pack shows the latest period the
month's returns carry (a monthly metric: the month; a quarterly one: the latest quarter
ended; an annual one: the latest year), the council's normalised value, its rank among
its nearest neighbours and in the region (mart_benchmark), the regional figure, its
direction of travel, and the caveats that belong beside a league position: small
groups, estimates, context metrics (never ranked), year-to-date figures, restated
figures, data not received. A group too small to rank (mart_benchmark.not_ranked_reason)
has no rank or quartile, and the pack says why in its place. The council's own context (deprivation, density: see
context.py) opens the pack and sits beside every league table; a metric where it is in
the bottom quartile or getting worse carries the case studies on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from councilbench.core import settings
from councilbench.reports import charts
from councilbench.reports import format as fmt
from councilbench.reports.annual import Figure, figure
from councilbench.reports.context import CouncilContext, council_context
from councilbench.reports.data import CouncilInfo, MetricInfo, MonthData, Source
from councilbench.reports.good_practice import CaseStudy, case_studies

#: A comparison group smaller than this makes a rank fragile: say so beside it.
SMALL_GROUP = 5
#: How many metrics get a direction-of-travel chart (the ones to look at first).
WATCH_CHARTS = 8

YEAR_TO_DATE_NOTE = "year to date: compared with a year earlier only"


@dataclass
class PackMetric:
    metric: MetricInfo
    period: str | None
    period_label: str
    status: str  # value | not_available | not_received
    value: Figure | None = None
    neighbours_rank: Figure | None = None
    region_rank: Figure | None = None
    quartile: int | None = None
    # why there is no rank where the metric is ranked (format.not_ranked_text): a group too small
    neighbours_not_ranked: str | None = None
    region_not_ranked: str | None = None
    region_value: Figure | None = None
    region_median: Figure | None = None
    vs_region: str | None = None
    direction_previous: str | None = None
    direction_year: str | None = None
    trend: str | None = None
    outlier: dict | None = None
    caveats: list[str] = field(default_factory=list)
    note: str | None = None
    strip: str | None = None
    rows: dict = field(default_factory=dict)  # the mart_benchmark rows (by group type)
    fact: dict | None = None
    year_to_date: bool = False
    case_studies: list[CaseStudy] = field(default_factory=list)  # where flagged (see flagged)

    @property
    def ranked(self) -> bool:
        return self.metric.ranked and self.region_rank is not None

    @property
    def flagged(self) -> bool:
        """In the region's bottom quartile or getting worse, as mart_good_practice judges it
        (the 12-period trend; where that is not comparable, against a year earlier): where
        the case studies on the metric are shown."""
        worsening = self.trend == "worsening" or (self.trend == "not comparable" and self.direction_year == "worsening")
        return self.ranked and (self.quartile == 4 or worsening)


@dataclass
class Change:
    metric: MetricInfo
    kind: str  # new figure | restated
    text: str
    now: Figure | None
    before: Figure | None
    rank_now: int | None
    rank_before: int | None
    size: int | None
    quartile_now: int | None
    quartile_before: int | None
    direction: str | None
    not_ranked: str | None = None  # why there is no rank now (a group too small)

    @property
    def rank_move(self) -> int:
        if self.rank_now is None or self.rank_before is None:
            return 0
        return self.rank_before - self.rank_now  # positive = moved up (better)


@dataclass
class Pack:
    council: CouncilInfo
    month: str
    month_label: str
    title: str
    as_at: dict
    return_status: dict
    key_figures: list[dict]
    counts: dict
    quartile_chart: str | None
    sections: list[dict]
    changes: list[Change]
    notable_changes: list[Change]
    watch: list[dict]
    shared_problems: list[dict]
    learn_from: list[dict]
    outliers: list[PackMetric]
    not_received: list[PackMetric]
    neighbours: list[dict]
    group_labels: dict
    submission_history: list[dict]
    missing_councils: list[dict]
    submission_ids: set[int]
    council_codes_shown: set[str]
    metrics: list[PackMetric]
    sources: list[dict]
    context: CouncilContext | None = None
    toc: list[tuple[str, str]] = field(default_factory=list)
    #: the smallest comparison group ranked (COUNCILBENCH_MIN_GROUP_SIZE, as dbt was given it)
    min_group_size: int = field(default_factory=settings.min_group_size)

    @property
    def file_stem(self) -> str:
        return self.council.short_name

    def summary(self) -> dict:
        """What the email needs, as JSON (written beside the pack, so sending never has
        to rebuild it): who, which month, the bullet lines and the submissions behind it."""
        c = self.counts
        lines = [
            self.return_status["headline"] + ". " + self.return_status["detail"],
            (
                f"Of {fmt.plural(c['ranked'], 'ranked metric')}: {c['top_quartile']} in the region's top quartile "
                f"and {c['bottom_quartile']} in the bottom quartile; {c['better_than_last_year']} better and "
                f"{c['worse_than_last_year']} worse than a year earlier."
            ),
        ]
        moved = [
            x
            for x in self.notable_changes
            if x.quartile_now and x.quartile_before and x.quartile_now != x.quartile_before
        ]
        if moved:
            lines.append(
                "Quartile moves since last month: "
                + "; ".join(f"{x.metric.metric_name} Q{x.quartile_before} to Q{x.quartile_now}" for x in moved[:4])
                + "."
            )
        if self.watch:
            lines.append("Where to look first: " + "; ".join(w["pm"].metric.metric_name for w in self.watch[:3]) + ".")
        if self.shared_problems:
            lines.append(
                f"Region-wide problems you share: {len(self.shared_problems)}, among them "
                + "; ".join(x["metric"].metric_name for x in self.shared_problems[:3])
                + "."
            )
        if self.not_received:
            n = len(self.not_received)
            lines.append(
                f"{fmt.plural(n, 'metric')} {'has' if n == 1 else 'have'} no figure for "
                f"{'its' if n == 1 else 'their'} latest period: see 'Your data this month' in the pack."
            )
        return {
            "council_code": self.council.council_code,
            "council_name": self.council.council_name,
            "display_name": self.display_name,
            "short_name": self.council.short_name,
            "month": self.month,
            "month_label": self.month_label,
            "title": self.title,
            "as_at": self.as_at,
            "return_state": self.return_status["state"],
            "counts": self.counts,
            "lines": lines,
            "submission_ids": sorted(self.submission_ids),
            "councils_shown": sorted(self.council_codes_shown),
        }

    @property
    def display_name(self) -> str:
        return self.council.display_name


def _bench_source(council: str, metric: str, period: str, group_id: str, field_name: str) -> Source:
    return Source.of(
        "mart_benchmark", field_name, council_code=council, metric_id=metric, period=period, group_id=group_id
    )


def _caveats(
    m: MetricInfo, region: dict | None, neigh: dict | None, fact: dict | None, year_to_date: bool
) -> list[str]:
    out = []
    if not m.ranked:
        out.append("context: not ranked")
    if fact and fact.get("value_status") == "estimate":
        out.append("estimate")
    # (a group too small to rank says so in place of the rank instead: format.not_ranked_text)
    if region and region["group_size"] < SMALL_GROUP and m.ranked and not region.get("not_ranked_reason"):
        out.append(f"small group: {fmt.plural(region['group_size'], 'council')}")
    if neigh and m.ranked and neigh["group_size"] < 6:
        out.append(f"{neigh['group_size'] - 1} of 5 neighbours report")
    if year_to_date:
        out.append(YEAR_TO_DATE_NOTE)
    if fact and (fact.get("loaded_versions") or 1) > 1:
        out.append("restated")
    if fact and fact.get("source_kind") == "public_source":
        out.append("public statistic")
    if m.per_capita_basis and fact and fact.get("population_year"):
        basis = "residents aged 16-64" if m.per_capita_basis == "population_16_64" else "residents"
        out.append(f"per 1,000 {basis} (ONS {fact['population_year']})")
    if (
        region
        and m.ranked
        and region.get("trend_periods") is not None
        and region["trend_periods"] < 4
        and not year_to_date
    ):
        out.append(f"trend from {fmt.plural(region['trend_periods'], 'period')} only")
    return out


def _region_figure(d: MonthData, m: MetricInfo, period: str, row: dict | None, council_code: str) -> Figure | None:
    """The West Midlands figure for a period: the region's sum of numerators over sum of
    denominators (mart_benchmark), or, for an annual metric no council gives numerators
    for (DEFRA publishes rates only), the published West Midlands figure, said to be so."""
    if row and row["region_value"] is not None:
        return figure(
            m.show(row["region_value"]),
            row["region_value"],
            "mart_benchmark",
            "region_value",
            council_code=council_code,
            metric_id=m.metric_id,
            period=period,
            group_id="region",
        )
    published = d.published_region.get((m.metric_id, period)) if m.frequency == "annual" else None
    if published is None:
        return None
    value = published["region_published_value"]
    return figure(
        f"{m.show(value)} (published)",
        value,
        "mart_region_performance",
        "region_published_value",
        financial_year=period,
        metric_id=m.metric_id,
    )


def _strip(d: MonthData, council: CouncilInfo, m: MetricInfo, period: str, neighbour_codes: set[str]) -> str | None:
    rows = [r for r in d.region_values.get((m.metric_id, period), []) if r["normalised_value"] is not None]
    if not rows:
        return None
    own = next((r for r in rows if r["council_code"] == council.council_code), None)
    dots = []
    for r in rows:
        kind = (
            "council"
            if r["council_code"] == council.council_code
            else "neighbour"
            if r["council_code"] in neighbour_codes
            else "other"
        )
        label = council.display_name if kind == "council" else fmt.display_name(r["council_name"])
        dots.append(
            charts.Dot(
                label,
                r["normalised_value"],
                r["quartile"],
                kind,
                {
                    "mart": "mart_benchmark",
                    "field": "normalised_value",
                    "council": r["council_code"],
                    "key": f"council_code={r['council_code']}; metric_id={m.metric_id}; period={period}; "
                    f"group_id=region",
                },
            )
        )
    median = rows[0]["group_median"]
    region = _region_figure(d, m, period, rows[0], council.council_code)
    regional = region.value if region else None
    label = d.period_labels.get(period, period)
    if own:
        not_ranked = fmt.not_ranked_text(own["not_ranked_reason"], own["group_size"]) if m.ranked else None
        position = (
            f"{council.display_name} is {fmt.rank_text(own['rank'], own['group_size'])} "
            f"({fmt.quartile_text(own['quartile']).lower()})"
            if own["rank"] is not None
            else f"{council.display_name} ({not_ranked or 'not ranked: a context metric'})"
        )
        desc = (
            f"{m.metric_name}, {label}: {position} at {m.show(own['normalised_value'])}; region median "
            f"{m.show(median)}"
            + (f", West Midlands figure {region.text}" if region else "")
            + f"; {fmt.plural(len(rows), 'council')}, {len([x for x in dots if x.kind == 'neighbour'])} of them "
            f"{council.display_name}'s nearest neighbours (triangles)."
        )
    else:
        desc = (
            f"{m.metric_name}, {label}: {fmt.plural(len(rows), 'council')}; {council.display_name} has no value "
            f"for this period; region median {m.show(median)}."
        )
    return charts.quartile_strip(
        f"strip-{m.metric_id}",
        dots,
        unit=m.normalised_unit,
        polarity=m.polarity,
        money=m.money,
        title=f"{m.metric_name}: {council.display_name} among the councils, {label}",
        desc=desc,
        median=median,
        regional=regional,
        label_ends=False,
        width=330,
        height=84,
        data={"metric": m.metric_id, "period": period, "council": council.council_code},
    )


def _trend(d: MonthData, council: CouncilInfo, pm: PackMetric) -> str | None:
    m = pm.metric
    rows = d.series.get((council.council_code, m.metric_id), [])
    if not rows:
        return None
    region_rows = {r["period"]: r for r in rows if r["group_type"] == "region"}
    neigh_rows = {r["period"]: r for r in rows if r["group_type"] == "nearest_neighbours"}
    periods = sorted(
        set(region_rows) | set(neigh_rows), key=lambda p: next(r["period_index"] for r in rows if r["period"] == p)
    )

    def key(p: str, g: str, column: str) -> dict:
        return {
            "mart": "mart_benchmark",
            "field": column,
            "key": f"council_code={council.council_code}; metric_id={m.metric_id}; period={p}; group_id={g}",
        }

    neighbour_group = f"nearest_neighbours:{council.council_code}"
    regional = {
        p: f
        for p in periods
        if p in region_rows and (f := _region_figure(d, m, p, region_rows[p], council.council_code))
    }
    series = [
        charts.Series(
            council.display_name,
            "council",
            [
                charts.Point(p, region_rows[p]["normalised_value"], key(p, "region", "normalised_value"))
                for p in periods
                if p in region_rows
            ],
        ),
        charts.Series(
            "Neighbours (median)",
            "neighbours",
            [
                charts.Point(p, neigh_rows[p]["group_median"], key(p, neighbour_group, "group_median"))
                for p in periods
                if p in neigh_rows
            ],
        ),
        charts.Series("Region", "region", [charts.Point(p, f.value, f.source.attrs()) for p, f in regional.items()]),
    ]
    first, last = periods[0], periods[-1]
    own = [p for p in series[0].points if p.value is not None]
    desc = (
        f"{council.display_name}'s {m.metric_name} from {d.period_labels.get(first, first)} to "
        f"{d.period_labels.get(last, last)}"
        + (f": {m.show(own[0].value)} to {m.show(own[-1].value)}" if own else "")
        + f"; its trend is {fmt.direction_text(pm.trend).lower()} ({fmt.polarity_text(m.polarity).lower()}). "
        + (
            f"Neighbours' median in {d.period_labels.get(last, last)}: {m.show(neigh_rows[last]['group_median'])}. "
            if last in neigh_rows
            else ""
        )
        + (f"West Midlands: {regional[last].text}. " if last in regional else "")
        + ("Year to date: the lines start again each April. " if pm.year_to_date else "")
    )
    # a year-to-date figure restarts each April: never a line from March down to April
    year_of = {r["period"]: r["financial_year"] for r in rows}
    breaks = {p for before, p in pairwise(periods) if year_of[p] != year_of[before]} if pm.year_to_date else set()
    return charts.trend_chart(
        f"trend-{m.metric_id}",
        series,
        periods,
        unit=m.normalised_unit,
        money=m.money,
        title=f"{m.metric_name}: {council.display_name}, its neighbours and the region",
        desc=desc.rstrip(),
        width=330,
        height=200,
        breaks=breaks,
        data={"metric": m.metric_id, "council": council.council_code},
    )


def _metric(d: MonthData, council: CouncilInfo, m: MetricInfo, neighbour_codes: set[str]) -> PackMetric:
    code = council.council_code
    period = d.current_period.get(m.metric_id)
    label = d.period_labels.get(period, period)
    region = d.benchmark.get((code, m.metric_id, period, "region"))
    neigh = d.benchmark.get((code, m.metric_id, period, "nearest_neighbours"))
    fact = d.facts.get((code, m.metric_id, period))
    # a year-to-date metric is the one ranked metric whose previous period is there but
    # not comparable (mart_benchmark compares it with a year earlier only)
    year_to_date = bool(
        region
        and m.ranked
        and m.frequency != "annual"
        and region["previous_value"] is not None
        and region["direction_vs_previous"] == "not comparable"
    )
    pm = PackMetric(
        m,
        period,
        label,
        "value" if region else ("not_available" if fact else "not_received"),
        rows={"region": region, "nearest_neighbours": neigh},
        fact=fact,
        year_to_date=year_to_date,
    )
    if region is None:
        if fact and fact["value_status"] in ("not_available", "suppressed"):
            pm.note = fmt.labelled("Not available", fact["note"]) if fact.get("note") else "Reported as not available."
        elif fact:
            pm.note = "Reported without a value that can be compared."
        else:
            pm.note = f"No figure received for {label}."
        pm.caveats = ["data not received"] if not fact else ["not available"]
        return pm
    pm.value = figure(
        m.show(region["normalised_value"]),
        region["normalised_value"],
        "mart_benchmark",
        "normalised_value",
        council_code=code,
        metric_id=m.metric_id,
        period=period,
        group_id="region",
    )
    if region["rank"] is not None:
        pm.region_rank = figure(
            fmt.rank_text(region["rank"], region["group_size"]),
            region["rank"],
            "mart_benchmark",
            "rank",
            council_code=code,
            metric_id=m.metric_id,
            period=period,
            group_id="region",
        )
        pm.quartile = region["quartile"]
    elif m.ranked:
        pm.region_not_ranked = fmt.not_ranked_text(region["not_ranked_reason"], region["group_size"])
    if neigh and neigh["rank"] is None and m.ranked:
        pm.neighbours_not_ranked = fmt.not_ranked_text(neigh["not_ranked_reason"], neigh["group_size"])
    if neigh and neigh["rank"] is not None:
        pm.neighbours_rank = figure(
            fmt.rank_text(neigh["rank"], neigh["group_size"]),
            neigh["rank"],
            "mart_benchmark",
            "rank",
            council_code=code,
            metric_id=m.metric_id,
            period=period,
            group_id=f"nearest_neighbours:{code}",
        )
    pm.region_value = _region_figure(d, m, period, region, code)
    pm.region_median = figure(
        m.show(region["group_median"]),
        region["group_median"],
        "mart_benchmark",
        "group_median",
        council_code=code,
        metric_id=m.metric_id,
        period=period,
        group_id="region",
    )
    pm.vs_region = region["vs_region"]
    pm.direction_previous = region["direction_vs_previous"]
    pm.direction_year = region["direction_vs_last_year"]
    pm.trend = region["trend_direction"]
    outlier_rows = [r for r in (region, neigh) if r and r["is_outlier"]]
    if outlier_rows:
        o = outlier_rows[0]
        pm.outlier = {
            "group": "the region" if o["group_type"] == "region" else "its nearest neighbours",
            "score": o["outlier_score"],
            "median": m.show(o["group_median"]),
            "side": "above" if o["normalised_value"] > o["group_median"] else "below",
        }
    pm.caveats = _caveats(m, region, neigh, fact, year_to_date)
    pm.strip = _strip(d, council, m, period, neighbour_codes)
    return pm


def _changes(d: MonthData, council: CouncilInfo, metrics: list[PackMetric]) -> list[Change]:
    code = council.council_code
    out = []
    for pm in metrics:
        m = pm.metric
        if pm.period is None or pm.status != "value":
            continue
        before_period = d.previous_pack_period.get(m.metric_id)
        restated = (
            pm.fact is not None
            and pm.fact.get("return_month") == d.month
            and before_period == pm.period
            and (pm.fact.get("loaded_versions") or 1) > 1
        )
        if before_period == pm.period and not restated:
            continue
        before = d.benchmark.get((code, m.metric_id, before_period, "region")) if before_period else None
        now = pm.rows["region"]
        now_fig = pm.value
        before_fig = (
            figure(
                m.show(before["normalised_value"]),
                before["normalised_value"],
                "mart_benchmark",
                "normalised_value",
                council_code=code,
                metric_id=m.metric_id,
                period=before_period,
                group_id="region",
            )
            if before
            else None
        )
        if restated:
            text = f"{fmt.short_period(pm.period)} restated"
            kind = "restated"
        else:
            text = (
                f"{fmt.short_period(before_period)} → {fmt.short_period(pm.period)}"
                if before_period
                else f"{fmt.short_period(pm.period)} (first figure)"
            )
            kind = "new figure"
        # the mart's own comparison with the period before (never month on month for a
        # year-to-date metric); for a restatement, the same period's earlier figure
        direction = None
        if before is not None and m.ranked:
            if before_period == now.get("previous_period"):
                direction = now["direction_vs_previous"]
            elif before_period == pm.period:
                direction = None
        out.append(
            Change(
                m,
                kind,
                text,
                now_fig,
                before_fig,
                now["rank"],
                before["rank"] if before else None,
                now["group_size"],
                now["quartile"],
                before["quartile"] if before else None,
                direction,
                fmt.not_ranked_text(now["not_ranked_reason"], now["group_size"]) if m.ranked else None,
            )
        )
    out.sort(key=lambda c: (-(abs(c.rank_move)), c.metric.metric_name))
    return out


#: A move of this many places in the region is worth a line in "what changed".
NOTABLE_RANK_MOVE = 3
NOTABLE_CHANGES = 12


def notable(changes: list[Change]) -> list[Change]:
    """The changes worth reading: restatements, quartile moves, big rank moves, and new
    quarterly or annual figures; the biggest moves first."""
    keep = [
        c
        for c in changes
        if c.kind == "restated"
        or (c.quartile_now and c.quartile_before and c.quartile_now != c.quartile_before)
        or abs(c.rank_move) >= NOTABLE_RANK_MOVE
        or c.metric.frequency != "monthly"
    ]
    return keep[:NOTABLE_CHANGES]


def build(d: MonthData, council_code: str) -> Pack:
    council = d.councils[council_code]
    neighbours = d.neighbours.get(council_code, [])
    neighbour_codes = {n["member_council_code"] for n in neighbours}
    # the metrics its tier delivers that some council has a figure for (a metric nobody
    # reports yet, such as the population denominators, has nothing to compare)
    delivered = [
        m for m in d.metrics.values() if council.tier in m.delivering_tiers and m.metric_id in d.current_period
    ]
    metrics = [
        _metric(d, council, m, neighbour_codes)
        for m in sorted(delivered, key=lambda m: (fmt.service_area_rank(m.service_area), not m.ranked, m.metric_name))
    ]
    with_value = [pm for pm in metrics if pm.status == "value"]
    ranked = [pm for pm in with_value if pm.ranked]
    for pm in ranked:
        if pm.flagged:
            pm.case_studies = case_studies(d.case_studies.get(pm.metric.metric_id, []), not_by=council_code)
    quartiles = Counter(pm.quartile for pm in ranked)
    better_year = [pm for pm in ranked if pm.direction_year == "improving"]
    worse_year = [pm for pm in ranked if pm.direction_year == "worsening"]
    outliers = [pm for pm in with_value if pm.outlier]
    not_received = [pm for pm in metrics if pm.status != "value"]

    # sections by service area, with a quartile profile across them
    by_area = defaultdict(list)
    for pm in metrics:
        by_area[pm.metric.service_area].append(pm)
    sections, profile = [], []
    for area in sorted(by_area, key=fmt.service_area_rank):
        items = by_area[area]
        area_ranked = [pm for pm in items if pm.ranked]
        counts = Counter(pm.quartile for pm in area_ranked)
        profile.append((fmt.service_area_label(area), dict(counts)))
        sections.append(
            {
                "area": area,
                "title": fmt.service_area_label(area),
                "anchor": f"area-{area}",
                "metrics": items,
                "strips": [pm for pm in items if pm.strip],
                "summary": (
                    f"{len(area_ranked)} ranked: {counts.get(1, 0)} in the top quartile, "
                    f"{counts.get(4, 0)} in the bottom quartile."
                    if area_ranked
                    else "No ranked metric with a value this month."
                ),
            }
        )
    quartile_chart = None
    if ranked:
        quartile_chart = charts.quartile_profile(
            "quartile-profile",
            profile,
            title=f"{council.display_name}'s metrics by regional quartile and service area",
            desc=(
                f"{fmt.plural(len(ranked), 'ranked metric')}: {quartiles.get(1, 0)} in the top quartile of the "
                f"region, {quartiles.get(2, 0)} in the second, {quartiles.get(3, 0)} in the third and {quartiles.get(4, 0)} "
                "in the bottom quartile. By service area: "
                + "; ".join(
                    f"{label}: " + ", ".join(f"Q{q} {n}" for q, n in sorted(c.items())) for label, c in profile if c
                )
                + "."
            ),
        )

    changes = _changes(d, council, metrics)

    # where to look first: bottom-quartile metrics that are worsening, then other worsening ones
    def concern(pm: PackMetric) -> tuple:
        return (
            pm.quartile != 4,
            pm.trend != "worsening" and pm.direction_year != "worsening",
            -(abs(float(pm.outlier["score"])) if pm.outlier else 0),
            pm.metric.metric_name,
        )

    candidates = [pm for pm in ranked if pm.quartile == 4 or pm.trend == "worsening" or pm.outlier]
    watch_metrics = sorted(candidates, key=concern)[:WATCH_CHARTS]
    best_by_metric = defaultdict(list)
    for b in d.best_practice:
        if b["council_code"] != council_code:
            best_by_metric[b["metric_id"]].append(b)
    watch = []
    for pm in watch_metrics:
        ask = [
            {
                "name": fmt.display_name(b["council_name"]),
                "rank": b["rank"],
                "size": b["group_size"],
                "website": b["website"],
                "council_code": b["council_code"],
                "source": Source.of(
                    "mart_best_practice", "why", council_code=b["council_code"], metric_id=b["metric_id"]
                ),
            }
            for b in best_by_metric.get(pm.metric.metric_id, [])[:3]
        ]
        why = []
        if pm.quartile == 4:
            why.append("bottom quartile of the region")
        if pm.trend == "worsening":
            why.append("trend worsening")
        if pm.direction_year == "worsening":
            why.append("worse than a year earlier")
        if pm.outlier:
            why.append(f"an outlier among {pm.outlier['group']}")
        watch.append(
            {
                "pm": pm,
                "why": ", ".join(why),
                "learn_from": ask,
                "case_studies": pm.case_studies,
                "chart": _trend(d, council, pm),
            }
        )

    # region-wide problems the council shares: its own figure is worse than a year earlier
    # and trending worse; one line per metric, the most widespread first
    own = {pm.metric.metric_id: pm for pm in ranked if pm.direction_year == "worsening" and pm.trend == "worsening"}
    grouped = defaultdict(list)
    for p in d.problems:
        if p["metric_id"] in own:
            grouped[p["metric_id"]].append(p)

    def spread(items: list[dict]) -> float:
        return max(
            ((p["councils_worsening"] or 0) / p["councils_compared"]) if p["councils_compared"] else 0.5 for p in items
        )

    shared = []
    for metric_id, items in sorted(grouped.items(), key=lambda kv: (-spread(kv[1]), kv[0])):
        pm = own[metric_id]
        shared.append(
            {
                "metric": pm.metric,
                "pm": pm,
                "reasons": items,
                "kinds": ", ".join(p["problem_type"].replace("_", " ") for p in items),
                "source": Source.of("mart_region_problems", "reason", metric_id=metric_id, period=items[0]["period"]),
            }
        )
    learn_from = [w for w in watch if w["learn_from"]]

    sub = d.submission.get(council_code)
    status = _return_status(d, council, sub)
    key_figures = [
        {"value": str(len(ranked)), "label": f"{fmt.noun(len(ranked), 'metric')} ranked in the region this month"},
        {"value": str(quartiles.get(1, 0)), "label": "in the region's top quartile"},
        {"value": str(quartiles.get(4, 0)), "label": "in the region's bottom quartile"},
        {"value": f"{len(better_year)} ▲ {len(worse_year)} ▼", "label": "better ▲ / worse ▼ than a year earlier"},
        {"value": str(len(outliers)), "label": f"{fmt.noun(len(outliers), 'outlier')} (3.5 median deviations or more)"},
    ]
    submission_ids = {int(pm.fact["submission_id"]) for pm in with_value if pm.fact and pm.fact.get("submission_id")}
    shown = (
        {council_code}
        | neighbour_codes
        | {r["council_code"] for pm in with_value for r in d.region_values.get((pm.metric.metric_id, pm.period), [])}
    )
    from councilbench.reports.annual import _as_at

    pack = Pack(
        council=council,
        month=d.month,
        month_label=fmt.month_label(d.month),
        title=f"How {council.display_name} compares",
        as_at=_as_at(d),
        return_status=status,
        key_figures=key_figures,
        quartile_chart=quartile_chart,
        counts={
            "ranked": len(ranked),
            "top_quartile": quartiles.get(1, 0),
            "bottom_quartile": quartiles.get(4, 0),
            "better_than_last_year": len(better_year),
            "worse_than_last_year": len(worse_year),
            "outliers": len(outliers),
            "not_received": len(not_received),
        },
        sections=sections,
        changes=changes,
        watch=watch,
        shared_problems=shared,
        learn_from=learn_from,
        notable_changes=notable(changes),
        outliers=outliers,
        not_received=not_received,
        neighbours=[
            {
                "name": n["member_council_name"],
                "display_name": fmt.display_name(n["member_council_name"]),
                "tier": n["member_tier"].replace("_", " "),
                "rank": n["neighbour_rank"],
                "distance": n["neighbour_distance"],
            }
            for n in neighbours
        ],
        group_labels={k[1]: v for k, v in d.group_labels.items() if k[0] == council_code},
        submission_history=[
            {**q, "label": fmt.month_label(q["return_month"])} for q in d.submission_year.get(council_code, [])
        ],
        missing_councils=missing_councils(d),
        submission_ids=submission_ids,
        council_codes_shown=shown,
        metrics=metrics,
        sources=PACK_SOURCES,
        context=council_context(d.context.get(council_code), council, d.economy),
    )
    pack.toc = (
        [
            ("context", "Context: deprivation and density"),
            ("summary", "Summary"),
            ("changes", "What changed since last month"),
            ("watch", "Where to look first"),
        ]
        + [(s["anchor"], s["title"]) for s in sections]
        + [("data", "Your data this month"), ("derivation", "How figures are derived")]
    )
    return pack


def missing_councils(d: MonthData) -> list[dict]:
    """Councils whose return for the month is not in the marts (never received, not due
    yet, or not accepted): their monthly figures are missing from every comparison."""
    out = []
    for code, c in sorted(d.councils.items(), key=lambda kv: kv[1].council_name):
        sub = d.submission.get(code)
        if sub is None or sub["final_status"] != "loaded":
            why = "not received" if sub is None or sub["timeliness"] in ("missing", "not_yet_due") else "not accepted"
            out.append({"council_code": code, "name": c.display_name, "why": why})
    return out


def _return_status(d: MonthData, council: CouncilInfo, sub: dict | None) -> dict:
    from councilbench.returns.email_render import uk_time

    month = fmt.month_label(d.month)
    if sub is None or sub["timeliness"] in ("missing", "not_yet_due"):
        return {
            "state": "missing",
            "headline": f"We have not received {fmt.display_name(council.council_name)}'s {month} return",
            "detail": "Figures for this month are missing from your pack and from the region's comparisons.",
            "source": Source.of(
                "mart_submission_quality", "timeliness", council_code=council.council_code, return_month=d.month
            ),
        }
    received = uk_time(sub["first_received_at"]) if sub["first_received_at"] else "unknown"
    if sub["final_status"] == "loaded":
        when = (
            "on time"
            if sub["timeliness"] == "on_time"
            else f"{fmt.plural(sub['days_after_due_date'], 'day')} after the due date"
        )
        state = "accepted"
        headline = f"Your {month} return was received {when} and accepted"
        detail = f"First file received {received}."
        if sub["rejected"]:
            n = sub["files_rejected"]
            detail += (
                f" {n} earlier file{'s were' if n != 1 else ' was'} rejected; the accepted correction is "
                "what this pack shows."
            )
    else:
        state = "not accepted"
        headline = f"Your {month} return has not been accepted"
        detail = (
            "The newest file failed validation (see the email that explained what to fix); this month's "
            "figures are missing from your pack and from the region's comparisons until a corrected file loads."
        )
    return {
        "state": state,
        "headline": headline,
        "detail": detail,
        "source": Source.of(
            "mart_submission_quality", "final_status", council_code=council.council_code, return_month=d.month
        ),
    }


PACK_SOURCES = [
    {
        "mart": "mart_benchmark",
        "key": "council_code, metric_id, period, group_id",
        "what": "Your value (normalised: counts per 1,000 residents, rates as reported), your rank and quartile in the "
        "region (group_id region: every council that delivers the service) and among your nearest neighbours "
        "(group_id nearest_neighbours:<your code>), the group median, the West Midlands figure (sum of numerators "
        "over sum of denominators), outlier score, and directions: against the previous period, the same period "
        "a year earlier, and the least-squares trend over 12 periods.",
    },
    {
        "mart": "mart_region_performance",
        "key": "financial_year, metric_id",
        "what": 'The West Midlands figure as published (region_published_value), shown marked "published" where no '
        "council gives numerators and denominators (DEFRA publishes rates only), so the region's own sum "
        "cannot be made.",
    },
    {
        "mart": "fct_metric_value",
        "key": "council_code, metric_id, period",
        "what": "What you reported (value, status: actual or estimate, note), from which accepted submission, and how "
        "many loaded files carried it (more than one: restated).",
    },
    {
        "mart": "mart_comparison_groups",
        "key": "council_code, group_id, member_council_code",
        "what": "Who you are compared with: your 5 nearest neighbours by population, working-age share, claimant "
        "rate, deprivation and residents per hectare (mart_council_neighbours says why, "
        "mart_neighbour_model_features how each is weighted).",
    },
    {
        "mart": "mart_region_problems",
        "key": "metric_id, period, problem_type",
        "what": "Region-wide problems, shown where your own figure is also worse than a year earlier or trending worse.",
    },
    {
        "mart": "mart_best_practice",
        "key": "council_code, metric_id",
        "what": "Councils in the top quartile, improving and better than a year earlier: whom to ask.",
    },
    {
        "mart": "mart_council_context",
        "key": "council_code",
        "what": "Your context, beside every league table: deprivation (English Indices of Deprivation, local "
        "authority summaries: average score, its rank in England, the share of neighbourhoods among the most "
        "deprived 10%), density (residents per hectare: ONS mid-year population over ONS land area, with the "
        "West Midlands and England) and the local economy (claimant rates, qualifications, productivity, "
        "businesses). A figure whose source is not published yet says so.",
    },
    {
        "mart": "mart_case_studies",
        "key": "case_study_id, metric_id",
        "what": "The region's reviewed case studies (council, title, outcome before and after, link), shown beside "
        "a metric where you are in the bottom quartile or getting worse.",
    },
    {
        "mart": "mart_submission_quality",
        "key": "council_code, return_month",
        "what": "When your return arrived and whether it was accepted.",
    },
]
