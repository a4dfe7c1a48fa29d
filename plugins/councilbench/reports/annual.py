"""The annual "Performance of the Region" report: the view model the template renders.

Everything here is arithmetic on mart rows already read (data.AnnualData): counts,
ordering and words. No figure is computed that a mart does not hold, except counts of
mart rows (how many metrics improved, how many returns were on time), and each of those
says which rows it counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from councilbench.reports import charts, context
from councilbench.reports import format as fmt
from councilbench.reports.data import AnnualData, Figure, MetricInfo, Source, figure
from councilbench.reports.good_practice import case_studies_by_area


@dataclass
class MetricRow:
    metric: MetricInfo
    row: dict
    region: Figure
    previous: Figure | None
    england: Figure | None
    vs_england: str | None  # better, worse, same, 'not comparable' (withheld) or None
    england_withheld: str | None  # why vs_england is 'not comparable', in plain words
    trend: str
    vs_previous_year: str
    improving: int
    worsening: int
    best: Figure | None
    worst: Figure | None
    coverage: str
    notes: list[str]


@dataclass
class AreaSection:
    area: str
    title: str
    anchor: str
    intro: str
    rows: list[MetricRow]
    trend_charts: list[tuple[str, str]]  # (caption, svg)
    spotlight: str | None
    spotlight_caption: str | None
    strips: list[tuple[str, str]]  # (caption, svg)


@dataclass
class AnnualReport:
    title: str
    subtitle: str
    financial_year: str
    year_to_date: bool
    months_text: str
    as_at: dict
    key_figures: list[dict]
    findings: list[str]
    overview_chart: str
    sections: list[AreaSection]
    england_rows: list[MetricRow]
    problems: list[dict]
    problem_spotlight: dict | None
    best_practice: list[dict]
    best_practice_by_metric: list[dict]
    best_practice_chart: str | None
    quality_rows: list[dict]
    quality_months: list[dict]
    quality_chart: str | None
    missing: list[dict]
    metrics: list[MetricInfo]
    sources: list[dict]
    file_stem: str
    coverage: str = ""
    problems_as_of: str = ""  # the month whose list of region-wide problems is shown
    economy: list[context.EconomyRow] = field(default_factory=list)  # mart_region_economy, by indicator
    economy_charts: list[tuple[str, str]] = field(default_factory=list)  # (caption, svg)
    good_practice: list[dict] = field(default_factory=list)  # case studies by service area
    toc: list[tuple[str, str]] = field(default_factory=list)


def file_stem(financial_year: str, year_to_date: bool) -> str:
    """performance-of-the-region-2025-26 (-year-to-date)."""
    return f"performance-of-the-region-{financial_year}" + ("-year-to-date" if year_to_date else "")


def _trend_phrase(direction: str | None) -> str:
    return {"improving": "improving", "worsening": "worsening", "no change": "flat"}.get(
        direction or "", "not comparable"
    )


def _metric_rows(d: AnnualData) -> list[MetricRow]:
    rows = []
    fy = d.financial_year
    for r in d.performance:
        m = d.metrics[r["metric_id"]]
        key = {"financial_year": fy, "metric_id": m.metric_id}
        region = figure(m.short(r["region_value"]), r["region_value"], "mart_region_performance", "region_value", **key)
        prev_row = d.previous_year.get(m.metric_id)
        previous = (
            figure(
                m.short(prev_row["region_value"]),
                prev_row["region_value"],
                "mart_region_performance",
                "region_value",
                financial_year=prev_row["financial_year"],
                metric_id=m.metric_id,
            )
            if prev_row and prev_row["region_value"] is not None
            else None
        )
        england = (
            figure(m.short(r["england_value"]), r["england_value"], "mart_region_performance", "england_value", **key)
            if r["england_value"] is not None
            else None
        )
        best = worst = None
        if m.ranked and r["best_council_name"]:
            best = figure(
                f"{fmt.display_name(r['best_council_name'])} ({m.short(r['best_council_value'])})",
                r["best_council_value"],
                "mart_region_performance",
                "best_council_value",
                **key,
            )
            worst = figure(
                f"{fmt.display_name(r['worst_council_name'])} ({m.short(r['worst_council_value'])})",
                r["worst_council_value"],
                "mart_region_performance",
                "worst_council_value",
                **key,
            )
        notes = []
        if not r["is_complete_year"]:
            notes.append(f"{r['periods_covered']} of {r['periods_expected']} periods")
        if r["region_value_basis"] and r["region_value_basis"].startswith("published"):
            notes.append("published West Midlands figure")
        if r["annual_rule"] == "latest_period":
            notes.append(f"as at {r['latest_period']} (year to date or rolling)")
        if not m.ranked:
            notes.append("context: not ranked")
        withheld = r["region_vs_england_withheld_reason"]
        if withheld:
            notes.append(f"not compared with England: {withheld}")
        coverage = f"{r['periods_covered']} of {r['periods_expected']}"
        rows.append(
            MetricRow(
                m,
                r,
                region,
                previous,
                england,
                r["region_vs_england"],
                withheld,
                r["region_trend_direction"],
                r["direction_vs_previous_year"],
                r["councils_improving"],
                r["councils_worsening"],
                best,
                worst,
                coverage,
                notes,
            )
        )
    return rows


def _series_chart(d: AnnualData, row: MetricRow, idx: int, width: float = 330, height: float = 190) -> str:
    m, fy = row.metric, d.financial_year
    cid = f"trend-{m.metric_id}"
    if m.frequency == "annual":
        points = [
            charts.Point(
                r["financial_year"],
                r["region_value"],
                {
                    "mart": "mart_region_performance",
                    "field": "region_value",
                    "key": f"financial_year={r['financial_year']}; metric_id={m.metric_id}",
                },
            )
            for r in d.annual_series.get(m.metric_id, [])
            if r["region_value"] is not None
        ]
        periods = [p.x_label for p in points]
        england = [
            charts.Point(r["financial_year"], r["england_value"])
            for r in d.annual_series.get(m.metric_id, [])
            if r["england_value"] is not None
        ]
        series = [charts.Series("West Midlands", "region", points)]
        if england:
            series.append(charts.Series("England", "england", england))
        shade = (fy, fy) if fy in periods else None
    else:
        rows = [r for r in d.regional_series.get(m.metric_id, []) if r["region_value"] is not None]
        points = [
            charts.Point(
                r["period"],
                r["region_value"],
                {
                    "mart": "mart_benchmark",
                    "field": "region_value",
                    "key": f"metric_id={m.metric_id}; period={r['period']}; group_id=region",
                },
            )
            for r in rows
        ]
        periods = [r["period"] for r in rows]
        this_year = [r["period"] for r in rows if r["financial_year"] == fy]
        shade = (this_year[0], this_year[-1]) if this_year else None
        series = [charts.Series("West Midlands", "region", points)]
    reference = None
    if row.england is not None and m.frequency != "annual":
        reference = ("england", f"England {fy}: {m.short(row.england.value)}", float(row.england.value))
    values = [p.value for p in points]
    if values:
        first, last = points[0], points[-1]
        desc = (
            f"The West Midlands figure for {m.metric_name} went from {m.show(first.value)} in "
            f"{d.period_labels.get(first.x_label, first.x_label)} to {m.show(last.value)} in "
            f"{d.period_labels.get(last.x_label, last.x_label)}; the trend over the last 12 periods is "
            f"{_trend_phrase(row.trend)} ({fmt.polarity_text(m.polarity).lower()})."
        )
        if row.england is not None:
            desc += f" England: {row.england.text} in {fy}."
    else:
        desc = f"No regional figure for {m.metric_name} in these periods."
    return charts.trend_chart(
        cid,
        series,
        periods,
        unit=m.normalised_unit,
        money=m.money,
        title=f"{m.metric_name}: West Midlands over time",
        desc=desc,
        width=width,
        height=height,
        shade=shade,
        shade_label=fy if shade else None,
        reference=reference,
        data={"metric": m.metric_id},
    )


def _council_label(r: dict) -> str:
    return fmt.display_name(r["council_name"])


def _bars(d: AnnualData, m: MetricInfo, cid: str, title_suffix: str = "") -> tuple[str, str] | None:
    values = [r for r in d.council_values.get(m.metric_id, []) if r["normalised_value"] is not None]
    if not values:
        return None
    period = values[0]["period"]
    ordered = sorted(values, key=lambda r: (r["rank"] if r["rank"] is not None else 999, -float(r["normalised_value"])))
    bars = [
        charts.Bar(
            _council_label(r),
            float(r["normalised_value"]),
            r["rank"],
            "plain",
            {
                "mart": "mart_benchmark",
                "field": "normalised_value",
                "key": f"council_code={r['council_code']}; metric_id={m.metric_id}; period={period}; group_id=region",
                "council": r["council_code"],
            },
        )
        for r in ordered
    ]
    median = float(values[0]["group_median"]) if values[0]["group_median"] is not None else None
    best, worst = ordered[0], ordered[-1]
    label = d.period_labels.get(period, period)
    not_ranked = fmt.not_ranked_text(values[0]["not_ranked_reason"], values[0]["group_size"])
    if not_ranked:  # a region too small to compare: the values, highest first, and why no rank
        heading = f"councils by value, {label}"
        desc = f"{len(values)} councils on {m.metric_name} in {label}, highest first, {not_ranked}; "
        caption = f"{m.metric_name}, {label}: {not_ranked}. The dashed line is the median council."
    else:
        heading = f"councils ranked, {label}"
        desc = (
            f"{len(values)} councils ranked on {m.metric_name} in {label} ({fmt.polarity_text(m.polarity).lower()}). "
            f"Best: {_council_label(best)} at {m.show(best['normalised_value'])}; "
            f"worst: {_council_label(worst)} at {m.show(worst['normalised_value'])}; "
        )
        caption = (
            f"{m.metric_name}, {label}: every council that delivers the service, best first "
            f"(rank 1 is best; {fmt.polarity_text(m.polarity).lower()}). The dashed line is the median council."
        )
    svg = charts.ranked_bars(
        cid,
        bars,
        unit=m.normalised_unit,
        money=m.money,
        title=f"{m.metric_name}: {heading}{title_suffix}",
        desc=desc + f"region median {m.show(median)}.",
        median=median,
        data={"metric": m.metric_id, "period": period},
    )
    return svg, caption


def _strip(d: AnnualData, m: MetricInfo) -> tuple[str, str] | None:
    values = [r for r in d.council_values.get(m.metric_id, []) if r["normalised_value"] is not None]
    if not values:
        return None
    period = values[0]["period"]
    label = d.period_labels.get(period, period)
    dots = [
        charts.Dot(
            _council_label(r),
            float(r["normalised_value"]),
            r["quartile"],
            "other",
            {
                "mart": "mart_benchmark",
                "field": "normalised_value",
                "council": r["council_code"],
                "key": f"council_code={r['council_code']}; metric_id={m.metric_id}; period={period}; group_id=region",
            },
        )
        for r in values
    ]
    median = float(values[0]["group_median"]) if values[0]["group_median"] is not None else None
    regional = float(values[0]["region_value"]) if values[0]["region_value"] is not None else None
    q_counts = Counter(r["quartile"] for r in values if r["quartile"])
    not_ranked = fmt.not_ranked_text(values[0]["not_ranked_reason"], values[0]["group_size"])
    desc = (
        f"{len(values)} councils on {m.metric_name} in {label}: median {m.show(median)}"
        + (f", West Midlands figure {m.show(regional)}" if regional is not None else "")
        + (
            ". Quartiles (Q1 best): " + ", ".join(f"Q{q} {n} councils" for q, n in sorted(q_counts.items()))
            if q_counts
            else f". Councils are {not_ranked}"
            if not_ranked
            else ". A context metric: councils are not ranked."
        )
        + "."
    )
    svg = charts.quartile_strip(
        f"strip-{m.metric_id}",
        dots,
        unit=m.normalised_unit,
        polarity=m.polarity,
        money=m.money,
        title=f"{m.metric_name}: where councils sit, {label}",
        desc=desc,
        median=median,
        regional=regional,
        width=640,
        height=84,
        data={"metric": m.metric_id, "period": period},
    )
    caption = f"{m.metric_name} ({m.unit_text}), {label}"
    return caption, svg


def build(d: AnnualData) -> AnnualReport:
    fy = d.financial_year
    rows = _metric_rows(d)
    by_area = defaultdict(list)
    for r in rows:
        by_area[r.metric.service_area].append(r)
    problems_by_metric = defaultdict(list)
    for p in d.problems:
        problems_by_metric[p["metric_id"]].append(p)

    sections = []
    for area in sorted(by_area, key=fmt.service_area_rank):
        area_rows = sorted(by_area[area], key=lambda r: (not r.metric.ranked, r.metric.metric_name))
        ranked = [r for r in area_rows if r.metric.ranked]
        up = sum(1 for r in ranked if r.trend == "improving")
        down = sum(1 for r in ranked if r.trend == "worsening")
        intro = (
            f"{len(area_rows)} metrics ({len(ranked)} ranked). Over the last 12 periods to the year's latest, "
            f"the West Midlands figure improved on {up} and worsened on {down}."
        )
        problem_metrics = [r for r in ranked if problems_by_metric.get(r.metric.metric_id)]
        if problem_metrics:
            intro += " Region-wide problems: " + ", ".join(r.metric.metric_name for r in problem_metrics) + "."
        spotlight_row = max(
            ranked,
            key=lambda r: (len(problems_by_metric.get(r.metric.metric_id, [])), r.worsening - r.improving),
            default=None,
        )
        spotlight = _bars(d, spotlight_row.metric, f"bars-{spotlight_row.metric.metric_id}") if spotlight_row else None
        sections.append(
            AreaSection(
                area=area,
                title=fmt.service_area_label(area),
                anchor=f"area-{area}",
                intro=intro,
                rows=area_rows,
                trend_charts=[
                    (f"{r.metric.metric_name} ({r.metric.unit_text})", _series_chart(d, r, i))
                    for i, r in enumerate(area_rows)
                ],
                spotlight=spotlight[0] if spotlight else None,
                spotlight_caption=spotlight[1] if spotlight else None,
                strips=[s for s in (_strip(d, r.metric) for r in ranked) if s],
            )
        )

    ranked_rows = [r for r in rows if r.metric.ranked]
    improving = [r for r in ranked_rows if r.trend == "improving"]
    worsening = [r for r in ranked_rows if r.trend == "worsening"]
    england_rows = [r for r in rows if r.england is not None]
    # a year with periods missing is not set against England's whole year (the mart says why)
    compared_with_england = [r for r in england_rows if r.vs_england in ("better", "worse", "same")]
    not_compared_with_england = [r for r in england_rows if r.england_withheld]
    better_than_england = [r for r in compared_with_england if r.vs_england == "better"]
    worse_than_england = [r for r in compared_with_england if r.vs_england == "worse"]

    # region-wide problems, worst share of councils first
    def severity(p):
        share = (p["councils_worsening"] or 0) / (p["councils_compared"] or 1)
        return (-(share if p["councils_compared"] else 0.5), p["metric_name"])

    problems = []
    for p in sorted(d.problems, key=severity):
        m = d.metrics[p["metric_id"]]
        problems.append(
            {
                **p,
                "area": fmt.service_area_label(p["service_area"]),
                "region_text": m.show(p["region_value"]) if p["region_value"] is not None else "–",
                "kind": p["problem_type"].replace("_", " "),
                "source": Source.of(
                    "mart_region_problems",
                    "reason",
                    metric_id=p["metric_id"],
                    period=p["period"],
                    problem_type=p["problem_type"],
                ),
            }
        )
    problem_metric_ids = list(dict.fromkeys(p["metric_id"] for p in problems))
    spotlight_id = (
        "econ_vacant_retail_units_pct"
        if "econ_vacant_retail_units_pct" in problem_metric_ids
        else (problem_metric_ids[0] if problem_metric_ids else None)
    )
    problem_spotlight = None
    if spotlight_id:
        m = d.metrics[spotlight_id]
        row = next((r for r in rows if r.metric.metric_id == spotlight_id), None)
        bars = _bars(d, m, f"problem-bars-{spotlight_id}")
        problem_spotlight = {
            "metric": m,
            "reasons": [p for p in problems if p["metric_id"] == spotlight_id],
            "trend": _series_chart(d, row, 0, width=640, height=230) if row else None,
            "bars": bars[0] if bars else None,
            "bars_caption": bars[1] if bars else None,
        }

    best = []
    for b in d.best_practice:
        best.append(
            {
                **b,
                "display_name": fmt.display_name(b["council_name"]),
                "area": fmt.service_area_label(b["service_area"]),
                "value_text": d.metrics[b["metric_id"]].show(b["normalised_value"]),
                "source": Source.of(
                    "mart_best_practice", "why", council_code=b["council_code"], metric_id=b["metric_id"]
                ),
            }
        )
    best.sort(key=lambda b: (fmt.service_area_rank(b["service_area"]), b["metric_name"], b["rank"]))
    best_by_metric = []
    for b in best:
        if not best_by_metric or best_by_metric[-1]["metric_id"] != b["metric_id"]:
            best_by_metric.append(
                {
                    "metric_id": b["metric_id"],
                    "metric_name": b["metric_name"],
                    "area": b["area"],
                    "period": b["period"],
                    "councils": [],
                }
            )
        best_by_metric[-1]["councils"].append(b)
    per_council = Counter(b["council_code"] for b in best)
    best_chart = None
    if per_council:
        top = per_council.most_common(12)
        bars = [
            charts.Bar(
                fmt.display_name(d.councils[c].council_name),
                n,
                i + 1,
                "plain",
                {"mart": "mart_best_practice", "council": c, "key": f"council_code={c}"},
            )
            for i, (c, n) in enumerate(top)
        ]
        desc = (
            "Councils with the most metrics where they are in the region's top quartile, improving over the "
            "last 12 periods and better than a year earlier: "
            + "; ".join(f"{b.label} {int(b.value)}" for b in bars)
            + "."
        )
        best_chart = charts.ranked_bars(
            "best-practice-councils",
            bars,
            unit="count",
            title="Councils to learn from: metrics each leads on",
            desc=desc,
            width=640,
        )

    quality_rows, quality_months, quality_chart, missing = _quality(d)

    months_first, months_last = fmt.financial_year_months(fy)
    last = min(months_last, d.as_at.latest_month)
    months_text = (
        fmt.financial_year_label(fy)
        if not d.year_to_date
        else f"{fmt.month_label(months_first)} to {fmt.month_label(last)} (year to date)"
    )
    complete = sum(1 for r in rows if r.row["is_complete_year"])
    key_figures = [
        {
            "value": str(len(ranked_rows)),
            "label": "ranked metrics compared across the councils that deliver them",
            "source": "mart_region_performance rows of the year with a polarity",
        },
        {
            "value": f"{len(improving)} ▲ / {len(worsening)} ▼",
            "label": "metrics on which the region's 12-period trend improved / worsened",
            "source": "mart_region_performance.region_trend_direction",
        },
        {
            "value": f"{len(better_than_england)} of {len(compared_with_england)}",
            "label": "metrics compared with England where the region does better",
            "source": "mart_region_performance.region_vs_england",
        },
        {
            "value": str(len(problem_metric_ids)),
            "label": "region-wide problems to tackle together (metrics)",
            "source": "mart_region_problems",
        },
    ]
    on_time = sum(1 for q in d.submission_quality if q["timeliness"] == "on_time")
    due = sum(1 for q in d.submission_quality if q["timeliness"] != "not_yet_due")
    if due:
        key_figures.append(
            {
                "value": f"{round(100 * on_time / due)}%",
                "label": f"of {due} monthly returns arrived on time",
                "source": "mart_submission_quality.timeliness",
            }
        )

    findings = [
        f"Over the 12 periods to the year's latest data, the West Midlands figure improved on {len(improving)} of "
        f"{len(ranked_rows)} ranked metrics and worsened on {len(worsening)}.",
    ]
    if compared_with_england:
        findings.append(
            "Against England the region does better on "
            + (", ".join(r.metric.metric_name for r in better_than_england) or "none of the metrics compared")
            + " and worse on "
            + (", ".join(r.metric.metric_name for r in worse_than_england) or "none")
            + "."
        )
    if not_compared_with_england:
        findings.append(
            "Not compared with England yet: "
            + "; ".join(f"{r.metric.metric_name} ({r.england_withheld})" for r in not_compared_with_england)
            + "."
        )
    if problems:
        top = problems[:3]
        findings.append(
            "The most widespread problems: "
            + "; ".join(
                f"{p['metric_name']} ({p['councils_worsening']} of {p['councils_compared']} councils worse)"
                if p["councils_compared"]
                else f"{p['metric_name']} ({p['kind']})"
                for p in top
            )
            + "."
        )
    if per_council:
        leaders = per_council.most_common(3)
        findings.append(
            "Councils to learn from lead on the most metrics: "
            + ", ".join(f"{fmt.display_name(d.councils[c].council_name)} ({n})" for c, n in leaders)
            + "."
        )
    if due:
        findings.append(
            f"{on_time} of {due} monthly returns due in the period arrived by the due date"
            + (
                f"; {len(missing)} council{'s have' if len(missing) != 1 else ' has'} months missing or not accepted."
                if missing
                else "."
            )
        )
    if complete < len(rows):
        findings.append(
            f"{len(rows) - complete} of {len(rows)} metrics do not have every period of the year yet "
            "(marked in the tables)."
        )

    overview_rows = []
    for s in sections:
        ranked = [r for r in s.rows if r.metric.ranked]
        overview_rows.append(
            (
                s.title,
                sum(1 for r in ranked if r.trend == "worsening"),
                sum(1 for r in ranked if r.trend == "improving"),
            )
        )
    overview = charts.diverging_counts(
        "overview-trends",
        overview_rows,
        left_label="worsening",
        right_label="improving",
        title="Direction of the region's trend by service area",
        desc="Number of ranked metrics in each service area whose West Midlands trend over the last 12 periods is "
        "worsening (left) or improving (right): "
        + "; ".join(f"{t}: {w} worsening, {i} improving" for t, w, i in overview_rows)
        + ".",
    )

    received = sorted({q["return_month"] for q in d.submission_quality if q["files_received"]})
    coverage = f"{complete} of {len(rows)} metrics have every period of the year"
    if received and received[0] > months_first:
        coverage += (
            f"; council returns from {fmt.month_label(received[0])} (the platform holds no earlier "
            f"return for this year)"
        )
    elif received:
        coverage += f"; council returns {fmt.month_label(received[0])} to {fmt.month_label(received[-1])}"
    title = f"Performance of the Region {fy}" + (": year to date" if d.year_to_date else "")
    report = AnnualReport(
        title=title,
        subtitle="How the West Midlands councils' services performed, against England and over the year",
        financial_year=fy,
        year_to_date=d.year_to_date,
        months_text=months_text,
        as_at=_as_at(d),
        key_figures=key_figures,
        findings=findings,
        overview_chart=overview,
        sections=sections,
        england_rows=england_rows,
        problems=problems,
        problem_spotlight=problem_spotlight,
        best_practice=best,
        best_practice_by_metric=best_by_metric,
        best_practice_chart=best_chart,
        quality_rows=quality_rows,
        quality_months=quality_months,
        quality_chart=quality_chart,
        missing=missing,
        metrics=sorted(d.metrics.values(), key=lambda m: (fmt.service_area_rank(m.service_area), m.metric_name)),
        sources=SOURCES,
        file_stem=file_stem(fy, d.year_to_date),
        coverage=coverage,
        problems_as_of=fmt.month_label(last),
    )
    report.economy = context.economy_rows(d.economy)
    report.economy_charts = [
        (f"{row.name}" + (f", {row.period}" if row.period else ""), svg)
        for row in report.economy
        if (svg := context.economy_chart(row))
    ]
    report.good_practice = case_studies_by_area(d.case_studies, d.metrics)
    report.toc = (
        [("summary", "Summary"), ("economy", "Economy"), ("england", "The region against England")]
        + [(s.anchor, s.title) for s in sections]
        + [
            ("problems", "Region-wide problems"),
            ("learn", "Councils to learn from"),
            ("good-practice", "Good practice"),
            ("quality", "Data-submission quality"),
            ("missing", "Data missing"),
            ("derivation", "How figures are derived"),
        ]
    )
    return report


def _as_at(d) -> dict:
    from councilbench.returns.email_render import uk_time

    return {
        "latest_month": d.as_at.latest_month,
        "latest_month_label": d.as_at.latest_month_label,
        "loaded_at": uk_time(d.as_at.loaded_at) if d.as_at.loaded_at else "unknown",
        "built_at": uk_time(d.as_at.built_at) if d.as_at.built_at else "unknown",
    }


def _quality(d: AnnualData):
    per = defaultdict(list)
    for q in d.submission_quality:
        per[q["council_code"]].append(q)
    rows = []
    for code, qs in per.items():
        due = [q for q in qs if q["timeliness"] != "not_yet_due"]
        rows.append(
            {
                "council_code": code,
                "council_name": qs[0]["council_name"],
                "display_name": fmt.display_name(qs[0]["council_name"]),
                "due": len(due),
                "on_time": sum(1 for q in due if q["timeliness"] == "on_time"),
                "late": sum(1 for q in due if q["timeliness"] == "late"),
                "missing": sum(1 for q in due if q["timeliness"] == "missing"),
                "rejected": sum(1 for q in due if q["rejected"]),
                "resubmitted": sum(1 for q in due if q["resubmitted"]),
                "not_accepted": [q["return_month"] for q in due if q["final_status"] != "loaded"],
                "missing_months": [q["return_month"] for q in due if q["timeliness"] == "missing"],
            }
        )
    rows.sort(key=lambda r: (-(r["on_time"] / r["due"] if r["due"] else 0), r["council_name"]))
    months = []
    for month in sorted({q["return_month"] for q in d.submission_quality}):
        qs = [q for q in d.submission_quality if q["return_month"] == month]
        months.append(
            {
                "month": month,
                "label": fmt.month_label(month),
                "on_time": sum(1 for q in qs if q["timeliness"] == "on_time"),
                "late": sum(1 for q in qs if q["timeliness"] == "late"),
                "missing": sum(1 for q in qs if q["timeliness"] == "missing"),
                "rejected": sum(1 for q in qs if q["rejected"]),
                "accepted": sum(1 for q in qs if q["final_status"] == "loaded"),
            }
        )
    chart = None
    if rows:
        bars = [
            charts.Bar(
                r["display_name"],
                round(100 * r["on_time"] / r["due"], 1) if r["due"] else 0.0,
                i + 1,
                "other",
                {
                    "mart": "mart_submission_quality",
                    "council": r["council_code"],
                    "key": f"council_code={r['council_code']}",
                },
            )
            for i, r in enumerate(rows)
        ]
        median_values = sorted(b.value for b in bars)
        n = len(median_values)
        median = (median_values[(n - 1) // 2] + median_values[n // 2]) / 2
        worst = [b for b in bars if b.value < 100]
        desc = (
            f"Share of each council's monthly returns received by the due date, {len(rows)} councils; median "
            f"{median:.0f}%. "
            + (
                "Below 100%: " + "; ".join(f"{b.label} {b.value:.0f}%" for b in worst) + "."
                if worst
                else "Every council sent every return on time."
            )
        )
        chart = charts.ranked_bars(
            "quality-on-time",
            bars,
            unit="percent",
            title="Returns received on time, by council",
            desc=desc,
            median=median,
            median_label="Median council",
        )
    missing = [r for r in rows if r["not_accepted"]]
    return rows, months, chart, missing


SOURCES = [
    {
        "mart": "mart_region_performance",
        "key": "financial_year, metric_id",
        "what": "The region's year per metric: the West Midlands value (sum of numerators over sum of denominators of "
        "the councils that deliver the service, so a county and its districts are never both counted; or the "
        "published West Midlands figure where councils report rates only), England's figure where a public "
        "comparator exists, best and worst councils on their annual values, the least-squares trend of the "
        "regional value over the last 12 periods and how many councils' own trends improve or worsen.",
    },
    {
        "mart": "mart_benchmark",
        "key": "council_code, metric_id, period, group_id",
        "what": "Each council's normalised value per metric and period with its rank (1 = best, by polarity; ties "
        "share a rank), quartile (1 = best quarter), the group median and the regional aggregate. Trend lines "
        "plot the regional aggregate per period; bars and strips plot councils at the year's latest period.",
    },
    {
        "mart": "mart_region_problems",
        "key": "metric_id, period, problem_type",
        "what": "Where the region as a whole has a problem, as the list stood at each of a metric's periods (the "
        "report shows each metric's latest period up to the report's last month): worse than England in the "
        "latest complete year, the regional figure worse three periods in a row, most councils worse than a "
        "year earlier, or most councils trending worse. Context metrics never appear.",
    },
    {
        "mart": "mart_best_practice",
        "key": "council_code, metric_id",
        "what": "Councils in the region's top quartile at a metric's latest period that are improving over the last "
        "12 periods and better than a year earlier: whom to ask.",
    },
    {
        "mart": "mart_region_economy",
        "key": "indicator_id, area_code",
        "what": "The region's economy against England and the UK (where the publisher gives a UK figure): each "
        "indicator's latest published value, the value a year earlier and the change, with its publisher and "
        "notes (a series break is named, never spliced).",
    },
    {
        "mart": "mart_case_studies",
        "key": "case_study_id, metric_id",
        "what": "The region's good practice library: reviewed case studies kept as files in the repository (council, "
        "title, summary, the metrics they bear on, outcomes before and after with dates, contact role, link).",
    },
    {
        "mart": "mart_submission_quality",
        "key": "council_code, return_month",
        "what": "How each council's monthly return arrived: on time (by the 15th of the following month, UK time), "
        "late, missing, rejected, resubmitted, and the status of its newest file.",
    },
    {
        "mart": "dim_metric, dim_council, dim_period",
        "key": "metric_id; council_code; period",
        "what": "Names, units, polarity, delivering tiers and period labels.",
    },
]
