"""Plausible NOMIS answers for the economy context (issue 17), in the API's full data CSV
layout (every dimension as X, X_NAME, X_CODE, X_TYPE, X_TYPECODE, X_SORTORDER; MEASURES,
MEASURES_NAME; OBS_VALUE, OBS_STATUS, OBS_STATUS_NAME, OBS_CONF, OBS_CONF_NAME, URN,
RECORD_OFFSET, RECORD_COUNT) for the 33 councils, the West Midlands, England and the UK:

- NM_162_1, the claimant count: the all-ages rows ``public_samples`` writes, plus the UK
  and the 18-24 band (age 11, "Aged 18-24"), count and rate of residents of that age;
- NM_17_5, the Annual Population Survey: % of residents aged 16-64 qualified to NVQ4+
  (variable 290, to the 2021 data) and RQF4+ (variable 1902, from the 2022 data), each with
  numerator, denominator and confidence interval; the other series' cells come empty with
  status Q, as a NOMIS cube answers every combination asked for; one small district's
  estimate is suppressed (empty, status '!');
- NM_142_1 (enterprises) and NM_141_1 (local units), UK Business Counts: size bands of all
  industries and of manufacturing (SIC 2007 section C), rounded to 5 as published.

Counties and the region are built from their members; deterministic (seeded per area and
period), so the same arguments give the same bytes.
"""

from __future__ import annotations

import random
from pathlib import Path

from councilbench.core.calendar import MONTH_NAMES
from councilbench.dev.public_samples import (
    CLAIMANT_HEADER,
    Area,
    _geo,
    _num,
    _q,
    areas,
    claimant_table,
    nomis_claimant_csv,
    population_table,
)
from councilbench.dev.public_server import raw_fields

UK = Area("K02000001", "United Kingdom", 2092957697, "country", None, 68_300_000, 0.628, 4.4, 0.0)
#: The UK against England: claimants, residents aged 16-64, enterprises (roughly as published).
UK_OVER_ENGLAND = {"claimants": 1.14, "residents": 1.165, "businesses": 1.14}

FREE = [_q("F"), _q("Free (free for publication)")]
NORMAL = ("A", "Normal Value")
MISSING = ("Q", "These figures are missing.")


def _dimension(code: str, name: str, concept: str, sort: int, code_text: str | None = None) -> list[str]:
    """X, X_NAME, X_CODE, X_TYPE, X_TYPECODE, X_SORTORDER of one dimension."""
    return [code, _q(name), _q(code if code_text is None else code_text), _q(concept), "0", str(sort)]


def _numbered(header: list[str], rows: list[list[str]]) -> str:
    """The CSV: header and rows, each row with its RECORD_OFFSET and RECORD_COUNT."""
    if header[-1] != "RECORD_COUNT":
        header = header + ["RECORD_OFFSET", "RECORD_COUNT"]
    lines = [",".join(_q(h) for h in header)]
    lines += [",".join(r + [str(i), str(len(rows))]) for i, r in enumerate(rows)]
    return "\n".join(lines) + "\n"


def _top_level(all_areas: list[Area]) -> list[Area]:
    return [a for a in all_areas if a.kind in ("met", "unitary", "county")]


# --- claimant count: the 18-24 band and the UK -------------------------------------------

#: Residents aged 18-24 as a share of those aged 16-64 (students make the difference).
YOUTH_SHARE = {"E08000025": 0.165, "E08000026": 0.205, "E07000222": 0.175, "E07000237": 0.16, "E06000021": 0.15}
YOUTH_SHARE_DEFAULT = 0.135
AGE_18_24 = ("11", "Aged 18-24", 11)  # code, name, sort order in NM_162_1's age list


def claimant_18_24_table(months: list[str]) -> dict[tuple[str, str], tuple[int, float]]:
    """(code, month) -> (claimants aged 18-24, % of residents aged 18-24), UK included."""
    all_areas = areas()
    counts = claimant_table(months)
    years = sorted({m[:4] for m in months} | {str(int(m[:4]) - 1) for m in months})
    pops = population_table(years)
    cells: dict[tuple[str, str], tuple[float, float]] = {}  # (count, residents 18-24)
    for m in months:
        base_year = str(int(m[:4]) - 1 if int(m[5:]) < 7 else int(m[:4]))
        for a in all_areas:
            if a.kind in ("met", "unitary", "district", "country"):
                rnd = random.Random(f"cc1824:{a.code}:{m}")
                count = round(counts[(a.code, m)][0] * 0.17 * (1 + rnd.uniform(-0.06, 0.06)))
                residents = pops[(a.code, base_year)][1] * YOUTH_SHARE.get(a.code, YOUTH_SHARE_DEFAULT)
                cells[(a.code, m)] = (count, residents)
        for a in all_areas:
            if a.kind == "county":
                members = [d for d in all_areas if d.county == a.code]
                cells[(a.code, m)] = tuple(sum(cells[(d.code, m)][i] for d in members) for i in (0, 1))
        cells[("E12000005", m)] = tuple(sum(cells[(a.code, m)][i] for a in _top_level(all_areas)) for i in (0, 1))
        england = cells[("E92000001", m)]
        cells[(UK.code, m)] = (
            round(england[0] * UK_OVER_ENGLAND["claimants"]),
            england[1] * UK_OVER_ENGLAND["residents"],
        )
    return {k: (int(count), round(100 * count / residents, 1)) for k, (count, residents) in cells.items()}


def _uk_all_ages(months: list[str]) -> dict[str, tuple[int, float]]:
    table = claimant_table(months)
    out = {}
    for m in months:
        count, rate = table[("E92000001", m)]
        ratio = UK_OVER_ENGLAND["claimants"] / UK_OVER_ENGLAND["residents"]
        out[m] = (round(count * UK_OVER_ENGLAND["claimants"]), round(rate * ratio, 1))
    return out


def _claimant_row(month: str, d: int, area: Area, g: int, age: tuple[str, str, int], measure: str, value) -> list[str]:
    code, name, sort = age
    measures = {"1": "Claimant count", "2": "Claimants as a proportion of residents aged 16-64"}
    date = [_q(month), _q(f"{MONTH_NAMES[int(month[5:]) - 1]} {month[:4]}"), _q(month), _q("date"), "0", str(d)]
    return (
        date
        + _geo(area, g)
        + _dimension("0", "Total", "gender", 0)
        + _dimension(code, name, "age", sort)
        + _dimension(measure, measures[measure], "measure", int(measure) - 1)
        + ["20100", _q("Value"), _num(value), _q(NORMAL[0]), _q(NORMAL[1])]
        + FREE
        + [_q(f"Nm-162d1d32e{d}d{area.nomis_id}d0d{code}d{measure}d20100")]
    )


def claimant_csv(months: list[str]) -> str:
    """NM_162_1 as NOMIS holds it: all ages (public_samples) and 18-24, councils to UK."""
    lines = nomis_claimant_csv(months).rstrip("\n").split("\n")
    rows = [raw_fields(line)[:-2] for line in lines[1:]]  # RECORD_OFFSET, RECORD_COUNT renumbered below
    youth, uk = claimant_18_24_table(months), _uk_all_ages(months)
    geo_order = areas() + [UK]
    for d, m in enumerate(months):
        for measure in ("1", "2"):
            rows.append(
                _claimant_row(
                    m, d, UK, len(geo_order) - 1, ("0", "All categories: Age 16+", 0), measure, uk[m][int(measure) - 1]
                )
            )
            for g, a in enumerate(geo_order):
                count, rate = youth[(a.code, m)]
                rows.append(_claimant_row(m, d, a, g, AGE_18_24, measure, count if measure == "1" else float(rate)))
    at = {name: CLAIMANT_HEADER.index(name) for name in ("DATE_SORTORDER", "GEOGRAPHY_SORTORDER", "AGE_SORTORDER")}
    at["MEASURE"] = CLAIMANT_HEADER.index("MEASURE")
    rows.sort(key=lambda r: tuple(int(r[i]) for i in at.values()))  # NOMIS's order: date, area, age, measure
    return _numbered(CLAIMANT_HEADER, rows)


# --- Annual Population Survey: level 4+ qualifications -----------------------------------

APS_HEADER = [
    f"{dim}{suffix}"
    for dim in ("DATE", "GEOGRAPHY", "VARIABLE")
    for suffix in ("", "_NAME", "_CODE", "_TYPE", "_TYPECODE", "_SORTORDER")
] + ["MEASURES", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME", "OBS_CONF", "OBS_CONF_NAME", "URN"]
APS_VARIABLES = [("1902", "% with RQF4+ - aged 16-64"), ("290", "% with NVQ4+ - aged 16-64")]
APS_MEASURES = [("20599", "Variable"), ("21001", "Numerator"), ("21002", "Denominator"), ("21003", "Confidence")]
#: The break: NVQ4+ published to the 2021 data, RQF4+ from the 2022 data.
APS_FIRST_RQF_YEAR = 2022
#: % with RQF4+ in 2022 (a level higher than NVQ4+ had been: a different classification).
RQF4_2022 = {
    "E08000025": 37.5, "E08000026": 41.0, "E08000027": 32.0, "E08000028": 25.5, "E08000029": 46.0,
    "E08000030": 27.5, "E08000031": 31.0, "E06000019": 39.0, "E06000020": 33.0, "E06000021": 27.0,
    "E06000051": 41.0, "E07000192": 30.0, "E07000193": 37.0, "E07000194": 45.0, "E07000195": 36.0,
    "E07000196": 39.0, "E07000197": 43.0, "E07000198": 35.0, "E07000199": 29.0, "E07000218": 33.0,
    "E07000219": 30.0, "E07000220": 44.0, "E07000221": 50.0, "E07000222": 57.0, "E07000234": 47.0,
    "E07000235": 49.0, "E07000236": 32.0, "E07000237": 41.0, "E07000238": 44.0, "E07000239": 33.0,
    "E92000001": 47.5, UK.code: 47.0,
}  # fmt: skip
#: (area code, DATE_CODE, variable) -> (OBS_STATUS, OBS_STATUS_NAME): a small sample's
#: estimate withheld (value, numerator and confidence interval; the denominator is published).
APS_SUPPRESSED = {
    ("E07000235", "2023-12", "1902"): (
        "!",
        "Estimate and confidence interval not available since the group sample size is zero or disclosive (0-2)",
    )
}


def _aps_estimate(a: Area, year: int, residents: float) -> tuple[float, float]:
    """(numerator, denominator) for one base area: residents 16-64 and those qualified."""
    rnd = random.Random(f"aps:{a.code}:{year}")
    level = RQF4_2022[a.code] + 0.6 * (year - APS_FIRST_RQF_YEAR)
    if year < APS_FIRST_RQF_YEAR:
        level -= 4.0  # NVQ4+ read lower than RQF4+ does
    noise = 0.2 if a.kind == "country" else 1.5
    denominator = round(residents, -2)
    return round(denominator * (level + rnd.uniform(-noise, noise)) / 100, -2), denominator


def aps_table(years: list[str]) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """(code, DATE_CODE) -> (value %, numerator, denominator, confidence interval)."""
    all_areas = areas()
    pops = population_table(years)
    parts: dict[tuple[str, str], tuple[float, float]] = {}
    for y in years:
        for a in all_areas:
            if a.kind in ("met", "unitary", "district", "country"):
                parts[(a.code, y)] = _aps_estimate(a, int(y), pops[(a.code, y)][1])
        for a in all_areas:
            if a.kind == "county":
                members = [d for d in all_areas if d.county == a.code]
                parts[(a.code, y)] = tuple(sum(parts[(d.code, y)][i] for d in members) for i in (0, 1))
        parts[("E12000005", y)] = tuple(sum(parts[(a.code, y)][i] for a in _top_level(all_areas)) for i in (0, 1))
        parts[(UK.code, y)] = _aps_estimate(UK, int(y), pops[("E92000001", y)][1] * UK_OVER_ENGLAND["residents"])
    out = {}
    for (code, y), (numerator, denominator) in parts.items():
        share = numerator / denominator
        sample = max(150.0, denominator * 0.006)  # people interviewed: about 0.6% of residents
        confidence = max(0.3, round(1.96 * (share * (1 - share) / sample) ** 0.5 * 100 * 1.2, 1))
        out[(code, f"{y}-12")] = (round(100 * share, 1), numerator, denominator, confidence)
    return out


def aps_csv(years: list[str], suppressed=APS_SUPPRESSED) -> str:
    table = aps_table(years)
    rows = []
    for d, y in enumerate(years):
        period = f"{y}-12"
        date = [_q(period), _q(f"Jan {y}-Dec {y}"), _q(period), _q("date"), "0", str(d)]
        for g, a in enumerate(areas() + [UK]):
            for v, (variable, variable_name) in enumerate(APS_VARIABLES):
                published = (variable == "1902") == (int(y) >= APS_FIRST_RQF_YEAR)
                for k, (measure, measure_name) in enumerate(APS_MEASURES):
                    value = table[(a.code, period)][k]
                    status = NORMAL if published else MISSING
                    if published and measure != "21002" and (a.code, period, variable) in suppressed:
                        status = suppressed[(a.code, period, variable)]
                    text = (f"{value:.1f}" if k in (0, 3) else f"{value:.0f}") if status == NORMAL else ""
                    rows.append(
                        date
                        + _geo(a, g)
                        + _dimension(variable, variable_name, "variable", v)
                        + [measure, _q(measure_name), text, _q(status[0]), _q(status[1])]
                        + FREE
                        + [_q(f"Nm-17d5d32e{d}d{a.nomis_id}d{variable}d{measure}")]
                    )
    return _numbered(APS_HEADER, rows)


# --- UK Business Counts: enterprises and local units --------------------------------------

BUSINESS_HEADER = [
    f"{dim}{suffix}"
    for dim in ("DATE", "GEOGRAPHY", "INDUSTRY", "EMPLOYMENT_SIZEBAND", "LEGAL_STATUS")
    for suffix in ("", "_NAME", "_CODE", "_TYPE", "_TYPECODE", "_SORTORDER")
] + ["MEASURES", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME", "OBS_CONF", "OBS_CONF_NAME", "URN"]
INDUSTRIES = [("37748736", "Total", "37748736"), ("150994947", "C : Manufacturing", "C")]
SIZE_BANDS = [
    ("10", "Micro (0 to 9)"),
    ("20", "Small (10 to 49)"),
    ("30", "Medium-sized (50 to 249)"),
    ("40", "Large (250+)"),
]
#: Enterprises per resident where it differs from the usual (rural districts have more).
ENTERPRISE_DENSITY = {
    "E08000028": 0.027, "E06000021": 0.025, "E08000031": 0.030, "E08000026": 0.030, "E08000029": 0.045,
    "E06000019": 0.055, "E06000051": 0.052, "E07000221": 0.062, "E07000222": 0.050, "E07000235": 0.058,
    "E07000238": 0.055, "E07000194": 0.047, "E07000234": 0.050, "E07000218": 0.052, "E07000196": 0.045,
}  # fmt: skip
ENTERPRISE_DENSITY_DEFAULT = 0.036
#: Per dataset: units per enterprise, the size bands' shares (all industries, then
#: manufacturing) and manufacturing's share of the units.
BUSINESS = {
    "NM_142_1": {
        "per_enterprise": 1.0,
        "bands": (0.895, 0.085, 0.016, 0.004),
        "manufacturing_bands": (0.72, 0.2, 0.065, 0.015),
        "manufacturing": 0.065,
    },
    "NM_141_1": {
        "per_enterprise": 1.18,
        "bands": (0.83, 0.135, 0.03, 0.005),
        "manufacturing_bands": (0.66, 0.24, 0.08, 0.02),
        "manufacturing": 0.06,
    },
}


def _round5(x: float) -> int:
    return int(5 * round(x / 5))


def _base_bands(a: Area, year: int, spec: dict) -> list[float]:
    """Unrounded counts of one base area: the four bands of all industries, then of manufacturing."""
    rnd = random.Random(f"ukbc:{a.code}:{year}")
    total = a.population * ENTERPRISE_DENSITY.get(a.code, 0.042 if a.kind == "country" else ENTERPRISE_DENSITY_DEFAULT)
    total *= spec["per_enterprise"] * (1.01 ** (year - 2024)) * (1 + rnd.uniform(-0.01, 0.01))
    # An area's manufacturing share is its own (up to 30% either side of the usual) and
    # drifts a little from year to year, as published shares do; a country's barely moves.
    spread = 0.03 if a.kind == "country" else 0.3
    own_share = 1 + random.Random(f"ukbc:{a.code}").uniform(-spread, spread)
    manufacturing = total * spec["manufacturing"] * own_share * (1 + rnd.uniform(-0.02, 0.02))
    shares = [s * (1 + rnd.uniform(-0.08, 0.08)) for s in spec["bands"]]
    shares = [s / sum(shares) for s in shares]
    return [total * s for s in shares] + [manufacturing * s for s in spec["manufacturing_bands"]]


def business_table(nomis_id: str, years: list[str]) -> dict[tuple[str, str], dict[tuple[str, str], int]]:
    """(code, year) -> {(industry code, size band code): count}, rounded to 5 as published."""
    all_areas = areas()
    raw: dict[tuple[str, str], list[float]] = {}
    for y in years:
        for a in all_areas:
            if a.kind in ("met", "unitary", "district", "country"):
                raw[(a.code, y)] = _base_bands(a, int(y), BUSINESS[nomis_id])
        # the UK: England's counts scaled, with a little less manufacturing (as published)
        raw[(UK.code, y)] = [
            c * UK_OVER_ENGLAND["businesses"] * (0.97 if i >= 4 else 1.0) for i, c in enumerate(raw[("E92000001", y)])
        ]
        for a in all_areas:
            if a.kind == "county":
                members = [d for d in all_areas if d.county == a.code]
                raw[(a.code, y)] = [sum(raw[(d.code, y)][i] for d in members) for i in range(8)]
        raw[("E12000005", y)] = [sum(raw[(a.code, y)][i] for a in _top_level(all_areas)) for i in range(8)]
    out = {}
    for key, counts in raw.items():
        cell = {}
        for j, (industry, _, _) in enumerate(INDUSTRIES):
            bands = counts[4 * j : 4 * j + 4]
            cell[(industry, "0")] = _round5(sum(bands))
            cell.update({(industry, code): _round5(b) for (code, _), b in zip(SIZE_BANDS, bands, strict=True)})
        out[key] = cell
    return out


def business_csv(nomis_id: str, years: list[str]) -> str:
    table = business_table(nomis_id, years)
    bands = [("0", "Total")] + SIZE_BANDS
    rows = []
    for d, y in enumerate(years):
        date = [_q(y), _q(y), _q(y), _q("date"), "0", str(d)]
        for g, a in enumerate(areas() + [UK]):
            for i, (industry, industry_name, industry_code) in enumerate(INDUSTRIES):
                for b, (band, band_name) in enumerate(bands):
                    rows.append(
                        date
                        + _geo(a, g)
                        + _dimension(industry, industry_name, "industry", i, industry_code)
                        + _dimension(band, band_name, "employment_sizeband", b)
                        + _dimension("0", "Total", "legal_status", 0)
                        + [
                            "20100",
                            _q("Value"),
                            str(table[(a.code, y)][(industry, band)]),
                            _q(NORMAL[0]),
                            _q(NORMAL[1]),
                        ]
                        + FREE
                        + [_q(f"Nm-{nomis_id[3:6]}d1d32e{d}d{a.nomis_id}d{industry}d{band}d0d20100")]
                    )
    return _numbered(BUSINESS_HEADER, rows)


def write_sources(folder: Path, *, months: list[str], years: list[str]) -> dict[str, Path]:
    """nomis/NM_162_1 (all ages and 18-24), NM_17_5, NM_142_1 and NM_141_1 .data.csv."""
    nomis = Path(folder) / "nomis"
    nomis.mkdir(parents=True, exist_ok=True)
    texts = {
        "NM_162_1": claimant_csv(months),
        "NM_17_5": aps_csv(years),
        "NM_142_1": business_csv("NM_142_1", years),
        "NM_141_1": business_csv("NM_141_1", years),
    }
    out = {}
    for nomis_id, text in texts.items():
        out[nomis_id] = nomis / f"{nomis_id}.data.csv"
        out[nomis_id].write_bytes(text.encode("utf-8"))
    return out


def written(folder: Path) -> bool:
    """Whether a sources folder has these datasets' files (one written before them has not)."""
    return all((Path(folder) / "nomis" / f"{n}.data.csv").exists() for n in ("NM_17_5", "NM_142_1", "NM_141_1"))


def write_fixtures(folder: Path) -> dict[str, Path]:
    """These datasets' committed test fixtures: the months and years of public_samples.write_fixtures."""
    from councilbench.core.calendar import months_between

    return write_sources(folder, months=months_between("2024-01", "2025-12"), years=[str(y) for y in range(2019, 2025)])


if __name__ == "__main__":
    import sys

    for name, path in write_fixtures(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/public")).items():
        print(f"{name}: {path}")
