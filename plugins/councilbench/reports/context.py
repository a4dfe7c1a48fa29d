"""Context beside every comparison: what a council's ranks are read with, and what the
region's own account of itself leads with.

- A council's deprivation (English Indices of Deprivation) and density (residents per
  hectare against the West Midlands and England), and its local economy, from
  marts.mart_council_context: the packs show them as a block near the summary and as one
  line beside every league table, so a council is never ranked without its context.
- The region's economy against England and the UK, with the change over the year, from
  marts.mart_region_economy (the annual report's Economy section).

Every figure keeps its mart row (data.Figure), as everywhere else in the reports. A
figure whose source is not loaded yet is null in the mart: it is said to be "not
published yet", never left out silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from councilbench.reports import charts
from councilbench.reports import format as fmt
from councilbench.reports.data import CouncilInfo, Figure, figure

CONTEXT_MART = "mart_council_context"
ECONOMY_MART = "mart_region_economy"
NOT_PUBLISHED = "not published yet"

#: A sentence that names its figures: plain strings and Figures, in reading order.
Said = list


def show(value, unit: str) -> str:
    """A context or economy figure in words: '27.3', '18.2%', '£31.20', '9,870', '4.70'
    (units as mart_region_economy names them; 'score' and 'index' for the IMD and GVA index)."""
    v = fmt.to_float(value)
    if v is None:
        return NOT_PUBLISHED
    if unit == "percent":
        return f"{fmt.number(v, 1)}%"
    if unit == "gbp":
        return f"£{fmt.number(v, 2)}"
    if unit == "count":
        return fmt.number(v, 0)
    if unit in ("index", "score"):
        return fmt.number(v, 1)
    return fmt.number(v, 2 if abs(v) < 10 else 1)


def change_text(delta, unit: str) -> str:
    """'+0.3 points', '−£0.42', '+120' (a percentage's change is in points)."""
    v = fmt.to_float(delta)
    if v is None:
        return "–"
    sign = "+" if v > 0 else ("−" if v < 0 else "±")
    if unit == "percent":
        return f"{sign}{fmt.number(abs(v), 1)} points"
    return sign + show(abs(v), unit)


# --- a council's context (the packs) -------------------------------------------------------------


@dataclass
class ContextItem:
    """One row of the pack's context block."""

    label: str
    value: Figure | None
    compared: Said  # with what: the region, England, a rank
    source: str  # the publisher and release, in words
    kind: str  # deprivation | density | economy


@dataclass
class CouncilContext:
    council_code: str
    display_name: str
    items: list[ContextItem]
    line: Said  # the one-line caption beside each league table
    missing: list[str]  # what is not published yet

    @property
    def deprivation_and_density(self) -> list[ContextItem]:
        return [i for i in self.items if i.kind in ("deprivation", "density")]

    @property
    def economy(self) -> list[ContextItem]:
        return [i for i in self.items if i.kind == "economy"]


def _fig(row: dict, column: str, text: str | None = None, unit: str = "number") -> Figure | None:
    if row.get(column) is None:
        return None
    return figure(text or show(row[column], unit), row[column], CONTEXT_MART, column, council_code=row["council_code"])


def _words(*parts) -> str:
    """The parts that are there, with one space between them."""
    return " ".join(str(p) for p in parts if p not in (None, ""))


def _iod_label(row: dict) -> str:
    release = row.get("iod_release")
    return f"IMD {release}" if release else "IMD"


#: mart_council_context.imd_ranked_among: which of the IoD's rankings the rank is in.
RANKED_AMONG = {"district": "local authority districts", "upper tier": "upper-tier authorities"}


def _deprivation(row: dict, council: CouncilInfo) -> list[ContextItem]:
    default = "upper tier" if council.tier == "county" else "district"
    among = RANKED_AMONG.get(row.get("imd_ranked_among") or default, row.get("imd_ranked_among"))
    score, rank, share = (
        _fig(row, "imd_avg_score", unit="score"),
        _fig(row, "imd_rank_avg_score", fmt.ordinal(row.get("imd_rank_avg_score"))),
        _fig(row, "imd_share_most_deprived_10pct", unit="percent"),
    )
    compared: Said = [rank, f" most deprived of England's {among} (1st: the most deprived)"] if rank else []
    source = _words("English Indices of Deprivation", row.get("iod_release"), "(MHCLG), local authority summaries")
    return [
        ContextItem(f"Deprivation: {_iod_label(row)} average score", score, compared, source, "deprivation"),
        ContextItem(
            "Neighbourhoods among England's most deprived 10%",
            share,
            ["share of its neighbourhoods (LSOAs)"] if share else [],
            source,
            "deprivation",
        ),
    ]


def _density(row: dict) -> ContextItem:
    value = _fig(row, "residents_per_hectare", unit="per_hectare")
    region = _fig(row, "region_residents_per_hectare", unit="per_hectare")
    england = _fig(row, "england_residents_per_hectare", unit="per_hectare")
    compared: Said = []
    if region:
        compared += ["West Midlands ", region]
    if england:
        compared += [", " if compared else "", "England ", england]
    source = (
        _words(
            "ONS mid-year population",
            row.get("population_year"),
            "over land area (ONS Standard Area Measurements",
            row.get("land_area_release"),
        )
        + ")"
    )
    return ContextItem("Density: residents per hectare", value, compared, source, "density")


def _beside_region(region: dict[str, dict], indicator_id: str, period) -> Said:
    """'West Midlands 4.1%, England 3.9%' from mart_region_economy, for the same period only
    (a council's latest figure is never set against another period's)."""
    out: Said = []
    for level in ("region", "country"):
        r = region.get((indicator_id, level))
        if r and r["value"] is not None and period is not None and str(r["period"]) == str(period):
            f = figure(
                show(r["value"], r["unit"]),
                r["value"],
                ECONOMY_MART,
                "value",
                indicator_id=indicator_id,
                area_code=r["area_code"],
            )
            out += [", " if out else "", f"{AREA_LABELS[level]} ", f]
    return [x for x in out if x != ""]


def _when(parts: Said, text: str | None) -> Said:
    return [*parts, ("; " if parts else "") + text] if text else parts


def _economy(row: dict, region: dict[str, dict]) -> list[ContextItem]:
    month = row.get("claimant_month")
    claimant_when = fmt.month_label(month) if month else None
    qual = _fig(row, "qual_rqf4_pct", unit="percent")
    qual_period = row.get("qual_rqf4_period")
    qual_beside = _beside_region(region, "econ_qual_rqf4_pct", qual_period)
    if row.get("qual_rqf4_confidence") is not None:
        confidence = _fig(row, "qual_rqf4_confidence", f"± {fmt.number(row['qual_rqf4_confidence'], 1)} points")
        qual_beside = [*qual_beside, ("; " if qual_beside else ""), confidence, " (95% confidence interval)"]
    if qual is None and row.get("qual_rqf4_status") == "suppressed":
        qual_beside = ["withheld by the publisher: too few people in the survey sample"]
    gva_index = _fig(row, "gva_per_hour_index", unit="index")
    manufacturing = _fig(row, "manufacturing_share_pct", unit="percent")
    return [
        ContextItem(
            "Claimant rate (% of residents aged 16-64)",
            _fig(row, "claimant_rate", unit="percent"),
            _when(_beside_region(region, "econ_claimant_rate", month), claimant_when),
            "DWP claimant count (ONS, NOMIS)",
            "economy",
        ),
        ContextItem(
            "Claimant rate aged 18-24 (% of residents aged 18-24)",
            _fig(row, "claimant_rate_18_24", unit="percent"),
            _when(_beside_region(region, "econ_claimant_rate_18_24", month), claimant_when),
            "DWP claimant count by age (ONS, NOMIS)",
            "economy",
        ),
        ContextItem(
            "Residents aged 16-64 qualified to RQF level 4 or above",
            qual,
            _when(qual_beside, f"12 months to {fmt.month_label(qual_period)}" if qual_period else None),
            "ONS Annual Population Survey (NOMIS)",
            "economy",
        ),
        ContextItem(
            "GVA per hour worked",
            _fig(row, "gva_per_hour_gbp", unit="gbp"),
            _when(["index ", gva_index, " (UK = 100)"] if gva_index else [], str(row.get("gva_year") or "") or None),
            "ONS subregional productivity",
            "economy",
        ),
        ContextItem(
            "Enterprises",
            _fig(row, "enterprises_total", unit="count"),
            _when(
                [manufacturing, " of them in manufacturing"] if manufacturing else [],
                str(row.get("business_year") or "") or None,
            ),
            "ONS UK Business Counts (NOMIS)",
            "economy",
        ),
    ]


def _line(name: str, score: ContextItem, share: ContextItem, density: ContextItem) -> Said:
    """'Context: Dudley's IMD 2025 average score is 31.3, the 88th most deprived of England's
    local authority districts (1st: the most deprived), with 12.4% of its neighbourhoods
    among England's most deprived 10%; 33.12 residents per hectare (West Midlands 4.70,
    England 4.44).'"""
    parts: Said = [f"Context: {name}'s "]
    if score.value is None and density.value is None:
        return [f"Context: {name}'s deprivation and density figures are {NOT_PUBLISHED}."]
    if score.value is not None:
        parts += [f"{score.label.split(': ', 1)[1]} is ", score.value]
        if score.compared:
            parts += [", the ", *score.compared]
        if share.value is not None:
            parts += [", with ", share.value, " of its neighbourhoods among England's most deprived 10%"]
    else:
        parts += [f"deprivation figures are {NOT_PUBLISHED}"]
    parts.append("; ")
    if density.value is not None:
        parts += [density.value, " residents per hectare"]
        if density.compared:
            parts += [" (", *density.compared, ")"]
    else:
        parts.append(f"residents per hectare {NOT_PUBLISHED}")
    parts.append(".")
    return [p for p in parts if p is not None and p != ""]


def council_context(row: dict | None, council: CouncilInfo, economy: list[dict] | None = None) -> CouncilContext:
    """The pack's context for a council: its mart_council_context row (or none at all),
    its economy figures beside the region's and England's (mart_region_economy rows)."""
    name = council.display_name
    if row is None:
        row = {"council_code": council.council_code}
    region = {(r["indicator_id"], r["area_level"]): r for r in economy or []}
    deprivation = _deprivation(row, council)
    density = _density(row)
    items = [*deprivation, density, *_economy(row, region)]
    missing = [i.label for i in items if i.value is None]
    return CouncilContext(council.council_code, name, items, _line(name, *deprivation, density), missing)


# --- the region's economy (the annual report) --------------------------------------------------------

AREA_LEVELS = ("region", "country", "uk")
AREA_LABELS = {"region": "West Midlands", "country": "England", "uk": "UK"}


@dataclass
class EconomyCell:
    value: Figure | None
    change: Figure | None
    period: str | None
    previous_period: str | None


@dataclass
class EconomyRow:
    indicator_id: str
    name: str
    unit: str
    period: str | None
    areas: dict[str, EconomyCell]  # area level -> cell
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> Said:
        """'West Midlands +0.3 points, England +0.1 points (since May 2025)'; each area's own
        'since' where their periods differ."""
        cells = [(level, c) for level in AREA_LEVELS if (c := self.areas.get(level)) and c.change]
        since = {c.previous_period for _, c in cells}
        parts: Said = []
        for level, c in cells:
            parts += [", " if parts else "", f"{AREA_LABELS[level]} ", c.change]
            if len(since) > 1 and c.previous_period:
                parts.append(f" (since {c.previous_period})")
        if len(since) == 1 and None not in since:
            parts.append(f" (since {since.pop()})")
        return [x for x in parts if x != ""]


def period_text(indicator_id: str, period) -> str | None:
    """'March 2026'; the Annual Population Survey's '12 months to December 2024'; '2023'."""
    if period is None:
        return None
    p = str(period)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", p):
        return p
    return ("12 months to " if indicator_id.startswith("econ_qual_") else "") + fmt.month_label(p)


def _economy_cell(r: dict) -> EconomyCell:
    key = {"indicator_id": r["indicator_id"], "area_code": r["area_code"]}
    unit = r["unit"]
    value = figure(show(r["value"], unit), r["value"], ECONOMY_MART, "value", **key) if r["value"] is not None else None
    change = (
        figure(change_text(r["change"], unit), r["change"], ECONOMY_MART, "change", **key)
        if r.get("change") is not None
        else None
    )
    return EconomyCell(
        value, change, period_text(r["indicator_id"], r["period"]), period_text(r["indicator_id"], r["previous_period"])
    )


#: The order of the Economy table: the region's own account leads with the labour market.
ECONOMY_ORDER = (
    "econ_claimant_rate",
    "econ_claimant_rate_18_24",
    "econ_qual_rqf4_pct",
    "econ_gva_per_hour_gbp",
    "econ_gva_per_hour_index",
    "econ_enterprises_total",
    "econ_manufacturing_share_pct",
    "econ_residents_per_hectare",
)


def _economy_order(indicator_id: str) -> tuple:
    return (ECONOMY_ORDER.index(indicator_id) if indicator_id in ECONOMY_ORDER else len(ECONOMY_ORDER), indicator_id)


def economy_rows(rows: list[dict]) -> list[EconomyRow]:
    """One row per indicator, its areas side by side."""
    rows = sorted(rows, key=lambda r: _economy_order(r["indicator_id"]))
    out: dict[str, EconomyRow] = {}
    for r in rows:
        row = out.get(r["indicator_id"])
        if row is None:
            row = out[r["indicator_id"]] = EconomyRow(
                r["indicator_id"],
                r["indicator_name"],
                r["unit"],
                period_text(r["indicator_id"], r["period"]),
                {},
                r["source"] or "",
            )
        level = r["area_level"] if r["area_level"] in AREA_LEVELS else None
        if level:
            row.areas[level] = _economy_cell(r)
        note = r["note"]
        if note and note not in row.notes:
            row.notes.append(note)
    return list(out.values())


def economy_chart(row: EconomyRow) -> str | None:
    """West Midlands, England and the UK on one indicator: three bars (or two). Not for a
    count (the region's enterprises beside England's say nothing a bar could)."""
    cells = [(level, row.areas[level]) for level in AREA_LEVELS if level in row.areas and row.areas[level].value]
    if len(cells) < 2 or row.unit == "count":
        return None
    bars = [
        charts.Bar(
            AREA_LABELS[level],
            float(c.value.value),
            None,
            "council" if level == "region" else "other",
            {"mart": ECONOMY_MART, "field": "value", "key": c.value.source.key_text},
        )
        for level, c in cells
    ]
    unit = "percent" if row.unit == "percent" else "number"
    money = row.unit == "gbp"
    desc = (
        f"{row.name}"
        + (f", {row.period}" if row.period else "")
        + ": "
        + "; ".join(f"{AREA_LABELS[level]} {c.value.text}" for level, c in cells)
        + "."
    )
    return charts.ranked_bars(
        f"economy-{fmt.slug(row.indicator_id)}",
        bars,
        unit=unit,
        money=money,
        title=f"{row.name}: the West Midlands, England and the UK",
        desc=desc,
        width=320,
        data={"indicator": row.indicator_id},
    )
