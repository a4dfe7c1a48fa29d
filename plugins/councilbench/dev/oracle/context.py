"""An independent oracle for the context and good practice marts: mart_council_context,
mart_region_economy, mart_case_studies and mart_good_practice, recomputed as their docs
(_marts__region.yml, _marts__benchmarking.yml), the staging docs of the public sources
(_public__models.yml) and the case studies' README and schema describe them, in plain
Python, from the loaded public observations (raw.public_observations of loaded
submissions, the newest per dataset, area, period and measure: benchmark.newest_public),
the seeds (registry, catalogue, the case study seeds compiled from case_studies/*.yml) and,
for mart_good_practice, the oracle's own mart_benchmark and mart_best_practice rows.

Where the docs are silent the model was read for the intent (never its code reused):
- mart_region_economy's indicator names and sources are labels the docs do not give
  (INDICATORS holds them as the model words them; the claimant rate's name is shorter than
  the catalogue's); an indicator with no West Midlands figure at all would be shown at the
  latest period with any figure; an area is shown for an indicator it has a figure for;
- mart_good_practice's ties: case studies reviewed the same day by id, best practice
  councils of the same rank by name (the docs give only 'latest reviewed first' and 'best
  rank first'); 'getting worse over the last N periods' counts the trend's points
  (mart_benchmark.trend_periods: 5 while a metric has 5 periods of history; the doc's
  example said 12 and now says so);
- a case study's figures are written with up to 6 decimals (the model's number format).
Where docs and model differ, the docs are followed: mart_council_context's land area is
the latest release (the model shows it only beside a population estimate; the same for
every council with one).

Figures are exact (Decimal); the derived ones are rounded as the docs say (2 decimals for
densities and the manufacturing share, half away from zero as PostgreSQL rounds).
"""

from __future__ import annotations

import calendar
import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from councilbench.dev.oracle.benchmark import (
    ENGLAND_CODE,
    REGION_CODE,
    Raw,
    load_reference,
    newest_public,
    read_public,
    round_to,
)

UK_CODE = "K02000001"
AREAS = {
    REGION_CODE: ("West Midlands", "region"),
    ENGLAND_CODE: ("England", "country"),
    UK_CODE: ("United Kingdom", "uk"),
}
#: RQF4+ replaced NVQ4+ from the 2022 data: no RQF4+ figure is set against one from before.
SERIES_BREAK_YEAR = 2022
SERIES_BREAK_NOTE = "Series break: RQF4+ replaced NVQ4+ from the 2022 data, so no change is computed across it"

#: indicator -> (name, unit, source). The units are the doc's ('percent, gbp, index (UK =
#: 100), count or per hectare'); names and sources are the model's labels (docs silent).
INDICATORS = {
    "econ_claimant_rate": (
        "Claimant rate (% of residents aged 16-64)",
        "percent",
        "NOMIS/ONS claimant count (NM_162_1), all ages; the same month a year earlier",
    ),
    "econ_claimant_rate_18_24": (
        "Claimant rate aged 18-24 (% of residents aged 18-24)",
        "percent",
        "NOMIS/ONS claimant count (NM_162_1), age 18-24; the same month a year earlier",
    ),
    "econ_qual_rqf4_pct": (
        "Residents aged 16-64 qualified to RQF level 4 or above (%)",
        "percent",
        "NOMIS/ONS Annual Population Survey (NM_17_5), RQF4+, 12 months to December",
    ),
    "econ_gva_per_hour_gbp": (
        "GVA per hour worked (£, current prices, smoothed)",
        "gbp",
        "ONS subregional productivity, GVA per hour worked",
    ),
    "econ_gva_per_hour_index": (
        "GVA per hour worked index (UK = 100)",
        "index",
        "ONS subregional productivity, GVA per hour worked (UK = 100)",
    ),
    "econ_enterprises_total": (
        "Enterprises: all sizes",
        "count",
        "ONS/NOMIS UK Business Counts, enterprises (NM_142_1), March of the year",
    ),
    "econ_manufacturing_share_pct": (
        "Manufacturing enterprises (% of all enterprises)",
        "percent",
        "ONS/NOMIS UK Business Counts, enterprises (NM_142_1): manufacturing (SIC 2007 C) / all",
    ),
    "econ_residents_per_hectare": (
        "Population density (residents per hectare)",
        "per hectare",
        "ONS mid-year population estimates (NOMIS NM_2002_1) and Standard Area Measurements",
    ),
}


# --------------------------------------------------------------------------- public figures


class Public:
    """The loaded public figures, read as the staging docs describe the sources."""

    def __init__(self, figures: dict[tuple[str, str, str, str], tuple]):
        self.figures = figures  # (dataset, area, period, measure) -> (value, status)
        self.by_area: dict = defaultdict(dict)  # (dataset, measure, area) -> period -> value
        for (dataset, area, period, measure), (value, _) in figures.items():
            self.by_area[(dataset, measure, area)][period] = value

    def series(self, dataset: str, measure: str, area: str) -> dict[str, Decimal | None]:
        """period -> the figure (None where suppressed)."""
        return self.by_area.get((dataset, measure, area), {})

    def values(self, dataset: str, measure: str, area: str) -> dict[str, Decimal]:
        """period -> the figure, where one was published."""
        return {p: v for p, v in self.series(dataset, measure, area).items() if v is not None}

    def population(self, area: str) -> dict[str, Decimal]:
        """year -> residents, all ages (estimates with residents)."""
        return {p: v for p, v in self.values("nomis_population", "econ_population_all_ages", area).items() if v > 0}

    def land_area(self, area: str) -> tuple[str, Decimal] | None:
        """(release, hectares) of the latest Standard Area Measurements with a land area."""
        found = {p: v for p, v in self.values("ons_land_area", "econ_land_area_hectares", area).items() if v > 0}
        return (max(found), found[max(found)]) if found else None

    def densities(self, area: str) -> dict[str, tuple[Decimal, str]]:
        """year -> (residents per hectare, 2 decimals; land area release): every population
        estimate over the latest land area (land changes only with boundaries)."""
        land = self.land_area(area)
        if land is None:
            return {}
        release, hectares = land
        return {year: (round_to(pop / hectares, 2), release) for year, pop in self.population(area).items()}

    def productivity(self, measure: str, area: str) -> dict[str, Decimal | None]:
        """year -> GVA per hour: a council's from the district file, another area's from the
        ITL file, the other file where only it publishes the area and year."""
        lad = self.series("ons_productivity_lad", measure, area)
        itl = self.series("ons_productivity_itl", measure, area)
        first, second = (lad, itl) if area not in AREAS else (itl, lad)
        return {**second, **first}

    def manufacturing_shares(self, area: str) -> dict[str, Decimal]:
        """year -> manufacturing enterprises / all enterprises x 100, 2 decimals."""
        total = self.values("nomis_business_enterprises", "econ_enterprises_total", area)
        manufacturing = self.values("nomis_business_enterprises", "econ_enterprises_manufacturing", area)
        return {y: round_to(100 * manufacturing[y] / t, 2) for y, t in total.items() if t != 0 and y in manufacturing}


def latest(found) -> str | None:
    """The latest of the periods (text in a frequency's format orders as time)."""
    return max(found) if found else None


def whole(value: Decimal | None) -> int | None:
    """A published count as the integer it is (rounded half away from zero, as PostgreSQL casts)."""
    return None if value is None else int(round_to(value, 0))


# --------------------------------------------------------------------------- mart_council_context


def council_context(public: Public, councils: dict) -> list[dict]:
    """One row per member council: the latest published figure of each context statistic,
    a county's own as published; null where the source has none for the council."""
    rows = []
    comparators = {}
    for area in (REGION_CODE, ENGLAND_CODE):
        d = public.densities(area)
        comparators[area] = d[max(d)][0] if d else None
    for code, c in councils.items():
        row = {"council_code": code, "council_name": c.name, "tier": c.tier}
        pops = public.population(code)
        year = latest(pops)
        land = public.land_area(code)
        row |= {
            "population_all_ages": whole(pops.get(year)),
            "population_year": int(year) if year else None,
            "land_area_hectares": land[1] if land else None,
            "land_area_release": land[0] if land else None,
            "residents_per_hectare": round_to(pops[year] / land[1], 2) if year and land else None,
        }
        row |= deprivation(public, code, c.tier)
        row |= claimant(public, code)
        row |= qualifications(public, code)
        gbp = public.productivity("econ_gva_per_hour_gbp", code)
        index = public.productivity("econ_gva_per_hour_index", code)
        gva_year = latest({y for y in {**gbp, **index} if gbp.get(y) is not None or index.get(y) is not None})
        row |= {
            "gva_per_hour_gbp": gbp.get(gva_year),
            "gva_per_hour_index": index.get(gva_year),
            "gva_year": int(gva_year) if gva_year else None,
        }
        total = public.values("nomis_business_enterprises", "econ_enterprises_total", code)
        business_year = latest(total)
        row |= {
            "enterprises_total": whole(total.get(business_year)),
            "manufacturing_share_pct": public.manufacturing_shares(code).get(business_year),
            "business_year": int(business_year) if business_year else None,
            "region_residents_per_hectare": comparators[REGION_CODE],
            "england_residents_per_hectare": comparators[ENGLAND_CODE],
        }
        rows.append(row)
    return rows


def deprivation(public: Public, code: str, tier: str) -> dict:
    """The latest IoD release of the council's own summary: the upper-tier one (File 11)
    for a county, the district one (File 10) otherwise; the ranks are of different sets."""
    dataset, among = ("mhclg_iod_utla", "upper tier") if tier == "county" else ("mhclg_iod_lad", "district")
    measures = ("econ_imd_avg_score", "econ_imd_rank_avg_score", "econ_imd_share_most_deprived_10pct")
    release = latest({p for m in measures for p in public.series(dataset, m, code)})
    if release is None:
        return {
            "imd_avg_score": None,
            "imd_rank_avg_score": None,
            "imd_ranked_among": None,
            "imd_share_most_deprived_10pct": None,
            "iod_release": None,
        }
    rank = public.series(dataset, "econ_imd_rank_avg_score", code).get(release)
    return {
        "imd_avg_score": public.series(dataset, "econ_imd_avg_score", code).get(release),
        "imd_rank_avg_score": whole(rank),
        "imd_ranked_among": among,
        "imd_share_most_deprived_10pct": public.series(dataset, "econ_imd_share_most_deprived_10pct", code).get(
            release
        ),
        "iod_release": release,
    }


def claimant(public: Public, code: str) -> dict:
    """The latest month with both rates published: all ages (over residents aged 16-64) and
    18-24 (over residents aged 18-24)."""
    everyone = public.values("nomis_claimant_count", "econ_claimant_rate", code)
    young = public.values("nomis_claimant_count_18_24", "econ_claimant_rate_18_24", code)
    month = latest(set(everyone) & set(young))
    return {
        "claimant_rate": everyone.get(month),
        "claimant_rate_18_24": young.get(month),
        "claimant_month": month,
    }


def qualifications(public: Public, code: str) -> dict:
    """The latest RQF4+ period NOMIS published for the council (never the NVQ4+ series); a
    withheld estimate stays null, with status 'suppressed', and no older one stands in."""
    parts = ("", "__numerator", "__denominator", "__confidence")
    period = latest(
        {p for part in parts for p in public.series("nomis_aps_qualifications", f"econ_qual_rqf4_pct{part}", code)}
    )
    value = public.series("nomis_aps_qualifications", "econ_qual_rqf4_pct", code).get(period)
    return {
        "qual_rqf4_pct": value,
        "qual_rqf4_confidence": public.series("nomis_aps_qualifications", "econ_qual_rqf4_pct__confidence", code).get(
            period
        ),
        "qual_rqf4_period": period,
        "qual_rqf4_status": "suppressed" if period is not None and value is None else None,
    }


# --------------------------------------------------------------------------- mart_region_economy


def economy_figures(public: Public) -> dict[str, dict[str, dict[str, Decimal]]]:
    """indicator -> area -> period -> published figure, for the region, England and the UK."""
    out: dict = {}
    for area in AREAS:
        per = {
            "econ_claimant_rate": public.values("nomis_claimant_count", "econ_claimant_rate", area),
            "econ_claimant_rate_18_24": public.values("nomis_claimant_count_18_24", "econ_claimant_rate_18_24", area),
            "econ_qual_rqf4_pct": public.values("nomis_aps_qualifications", "econ_qual_rqf4_pct", area),
            "econ_gva_per_hour_gbp": public.productivity("econ_gva_per_hour_gbp", area),
            "econ_gva_per_hour_index": public.productivity("econ_gva_per_hour_index", area),
            "econ_enterprises_total": public.values("nomis_business_enterprises", "econ_enterprises_total", area),
            "econ_manufacturing_share_pct": public.manufacturing_shares(area),
            "econ_residents_per_hectare": {y: d for y, (d, _) in public.densities(area).items()},
        }
        for indicator, found in per.items():
            found = {p: v for p, v in found.items() if v is not None}
            if found:
                out.setdefault(indicator, {})[area] = found
    return out


def year_earlier(period: str) -> str:
    """'2026-05' -> '2025-05', '2024-12' -> '2023-12', '2024' -> '2023'."""
    return f"{int(period[:4]) - 1}{period[4:]}"


def region_economy(public: Public) -> list[dict]:
    """Per indicator, every area with a figure: at the indicator's latest period with a West
    Midlands figure (else the latest with any), against the same period a year earlier."""
    rows = []
    for indicator, areas in economy_figures(public).items():
        name, unit, source = INDICATORS[indicator]
        period = latest(areas.get(REGION_CODE, {})) or max(p for found in areas.values() for p in found)
        previous_period = year_earlier(period)
        across_break = indicator == "econ_qual_rqf4_pct" and int(previous_period[:4]) < SERIES_BREAK_YEAR
        for area, found in areas.items():
            value = found.get(period)
            previous = None if across_break else found.get(previous_period)
            notes = []
            if value is None:
                notes.append(f"Not published for {period}")
            if across_break:
                notes.append(SERIES_BREAK_NOTE)
            if indicator == "econ_residents_per_hectare" and value is not None:
                notes.append(
                    f"Mid-year population estimate {period} over the land area of the Standard Area "
                    f"Measurements {public.densities(area)[period][1]}"
                )
            rows.append(
                {
                    "indicator_id": indicator,
                    "indicator_name": name,
                    "unit": unit,
                    "area_code": area,
                    "area_name": AREAS[area][0],
                    "area_level": AREAS[area][1],
                    "period": period,
                    "value": value,
                    "previous_period": previous_period,
                    "previous_value": previous,
                    "change": None if value is None or previous is None else value - previous,
                    "source": source,
                    "note": "; ".join(notes) or None,
                }
            )
    return rows


# --------------------------------------------------------------------------- mart_case_studies


def _seed(dbt_project: Path, name: str) -> list[dict]:
    with (dbt_project / "seeds" / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def figure(value: Decimal) -> str:
    """A case study's figure as written, thousands separated: 3.5, 4.1 (from 4.10), 100,000."""
    text = f"{round_to(value, 6):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def outcome_change(before: Decimal, after: Decimal, unit: str) -> str:
    """'19.5% -> 4.1%', '£0 -> £100,000 a year', '3.5 -> 10.7 defects per gang per day'."""
    if unit == "%":
        return f"{figure(before)}% -> {figure(after)}%"
    if unit.startswith("£"):
        rest = unit[1:].strip()
        return f"£{figure(before)} -> £{figure(after)}" + (f" {rest}" if rest else "")
    return f"{figure(before)} -> {figure(after)} {unit}"


def month_year(d: date) -> str:
    return f"{calendar.month_name[d.month]} {d.year}"


def case_studies(dbt_project: Path, metrics: dict, councils: dict) -> list[dict]:
    """One row per case study and metric it bears on (of a registered council and a
    catalogue metric), with the first outcome as the headline and every outcome listed."""
    outcomes: dict = defaultdict(list)
    for o in _seed(dbt_project, "case_study_outcomes.csv"):
        outcomes[o["case_study_id"]].append(o)
    bears_on: dict = defaultdict(list)
    for r in _seed(dbt_project, "case_study_metrics.csv"):
        bears_on[r["case_study_id"]].append(r["metric_id"])
    rows = []
    for s in _seed(dbt_project, "case_studies.csv"):
        sid = s["case_study_id"]
        lines = []
        for o in sorted(outcomes[sid], key=lambda o: int(o["outcome_order"])):
            change = outcome_change(Decimal(o["before_value"]), Decimal(o["after_value"]), o["unit"])
            dates = f"{month_year(date.fromisoformat(o['before_date']))} to {month_year(date.fromisoformat(o['after_date']))}"
            lines.append((change, f"{o['measure']}: {change} ({dates})"))
        council = councils.get(s["council_code"])
        for metric_id in bears_on[sid]:
            m = metrics.get(metric_id)
            if council is None or m is None:
                continue
            rows.append(
                {
                    "case_study_id": sid,
                    "title": s["title"],
                    "council_code": council.code,
                    "council_name": council.name,
                    "council_tier": council.tier,
                    "summary": s["summary"],
                    "metric_id": metric_id,
                    "metric_name": m.metric_name,
                    "service_area": m.service_area,
                    "polarity": m.polarity,
                    "headline_outcome": lines[0][0] if lines else None,
                    "outcomes_text": "; ".join(text for _, text in lines) if lines else None,
                    "outcome_count": len(lines),
                    "contact_role": s["contact_role"],
                    "link": s["link"],
                    "is_sample": s["is_sample"].strip().lower() == "true",
                    "reviewed_by": s["reviewed_by"],
                    "reviewed_on": date.fromisoformat(s["reviewed_on"]),
                }
            )
    return rows


# --------------------------------------------------------------------------- mart_good_practice


def flagged(bench: list[dict]) -> list[dict]:
    """The region group's rows at each metric's latest period where the council is in the
    bottom quartile (quartile 4) or getting worse: the 12-period trend worsening, or, with
    no comparable trend, worse than the same period a year earlier."""
    region = [r for r in bench if r["group_type"] == "region"]
    latest_index: dict = {}
    for r in region:
        latest_index[r["metric_id"]] = max(latest_index.get(r["metric_id"], r["period_index"]), r["period_index"])
    out = []
    for r in region:
        if r["period_index"] != latest_index[r["metric_id"]]:
            continue
        bottom = r["quartile"] == 4
        trend_worse = r["trend_direction"] == "worsening"
        year_worse = r["trend_direction"] == "not comparable" and r["direction_vs_last_year"] == "worsening"
        if not (bottom or trend_worse or year_worse):
            continue
        reasons = []
        if bottom:
            reasons.append(f"bottom quartile of the region (rank {r['rank']} of {r['group_size']})")
        if trend_worse:
            reasons.append(f"getting worse over the last {r['trend_periods']} periods")
        if year_worse:
            reasons.append("worse than a year earlier")
        out.append({**r, "_bottom": bottom, "_worsening": trend_worse or year_worse, "_reason": "; ".join(reasons)})
    return out


NO_CASE_STUDY = dict.fromkeys(
    (
        "case_study_id",
        "case_study_title",
        "case_study_council_code",
        "case_study_council_name",
        "case_study_summary",
        "case_study_contact_role",
        "case_study_link",
        "case_study_is_sample",
        "headline_outcome",
    )
)
NO_COUNCIL = dict.fromkeys(
    (
        "best_practice_council_code",
        "best_practice_council_name",
        "best_practice_rank",
        "best_practice_website",
        "best_practice_why",
    )
)


def suggestions(code: str, metric_id: str, studies: list[dict], best: list[dict]) -> list[dict]:
    """Other councils' case studies on the metric, the latest reviewed first; then the
    metric's best practice councils, best rank first."""
    out = []
    mine = [s for s in studies if s["metric_id"] == metric_id and s["council_code"] != code]
    mine.sort(key=lambda s: s["case_study_id"])
    mine.sort(key=lambda s: s["reviewed_on"], reverse=True)
    for s in mine:
        out.append(
            {
                "suggestion_type": "case_study",
                "case_study_id": s["case_study_id"],
                "case_study_title": s["title"],
                "case_study_council_code": s["council_code"],
                "case_study_council_name": s["council_name"],
                "case_study_summary": s["summary"],
                "case_study_contact_role": s["contact_role"],
                "case_study_link": s["link"],
                "case_study_is_sample": s["is_sample"],
                "headline_outcome": s["headline_outcome"],
                **NO_COUNCIL,
            }
        )
    councils = [b for b in best if b["metric_id"] == metric_id and b["council_code"] != code]
    for b in sorted(councils, key=lambda b: (b["rank"], b["council_name"])):
        out.append(
            {
                "suggestion_type": "best_practice_council",
                **NO_CASE_STUDY,
                "best_practice_council_code": b["council_code"],
                "best_practice_council_name": b["council_name"],
                "best_practice_rank": b["rank"],
                "best_practice_website": b["website"],
                "best_practice_why": b["why"],
            }
        )
    return out


def good_practice(
    bench: list[dict], best: list[dict], studies: list[dict], metrics: dict, councils: dict
) -> list[dict]:
    """One row per suggestion beside each flagged metric, numbered by suggestion_order; a
    flagged metric with nothing to suggest has no row."""
    rows = []
    for r in flagged(bench):
        m, c = metrics[r["metric_id"]], councils[r["council_code"]]
        for order, s in enumerate(suggestions(c.code, m.metric_id, studies, best), start=1):
            rows.append(
                {
                    "council_code": c.code,
                    "council_name": c.name,
                    "metric_id": m.metric_id,
                    "metric_name": m.metric_name,
                    "service_area": m.service_area,
                    "period": r["period"],
                    "rank": r["rank"],
                    "group_size": r["group_size"],
                    "quartile": r["quartile"],
                    "trend_direction": r["trend_direction"],
                    "direction_vs_last_year": r["direction_vs_last_year"],
                    "is_bottom_quartile": r["_bottom"],
                    "is_worsening": r["_worsening"],
                    "flag_reason": r["_reason"],
                    "suggestion_order": order,
                    **s,
                }
            )
    return rows


# --------------------------------------------------------------------------- all four


def recompute_context(
    conn, dbt_project: Path, given: dict | None, bench: list[dict], best: list[dict]
) -> dict[str, list[dict]]:
    """The four marts from the warehouse's loaded public observations and the seeds;
    mart_good_practice from the oracle's own mart_benchmark and mart_best_practice rows
    (benchmark.recompute's), so no mart is read."""
    metrics, councils, _ = load_reference(dbt_project, given)
    public = Public(newest_public(Raw(returns=[], public=read_public(conn))))
    studies = case_studies(dbt_project, metrics, councils)
    return {
        "mart_council_context": council_context(public, councils),
        "mart_region_economy": region_economy(public),
        "mart_case_studies": studies,
        "mart_good_practice": good_practice(bench, best, studies, metrics, councils),
    }
