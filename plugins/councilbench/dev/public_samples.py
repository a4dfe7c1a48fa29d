"""Plausible public statistics for the 33 councils, the West Midlands and England, in the
publishers' own formats: the NOMIS API's full data CSV (every dimension as X, X_NAME,
X_CODE, X_TYPE, X_TYPECODE, X_SORTORDER; text quoted, numbers not; OBS_STATUS and
OBS_CONF; RECORD_OFFSET and RECORD_COUNT), DEFRA's LA and regional spreadsheet
(title rows above the header, '[x]' for not available, ODS or XLSX) and GOV.UK's gender
pay gap downloads (gpg_samples.py).

Deterministic: the same arguments give the same bytes (seeded per area and period), so
the committed test fixtures can be regenerated and a demo rerun lands nothing new.

    python -m councilbench.dev.public_samples tests/fixtures/public      # the test fixtures
"""

from __future__ import annotations

import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from councilbench.core.calendar import MONTH_NAMES, months_between
from councilbench.public.datasets import years_between


@dataclass(frozen=True)
class Area:
    code: str
    nomis_name: str  # as NOMIS names it (ONS names: "Herefordshire, County of")
    nomis_id: int
    kind: str  # district | unitary | met | county | region | country
    county: str | None  # county code for districts
    population: int  # mid-2023, all ages (approximate, for plausibility)
    share_16_64: float
    claimant_rate: float  # typical claimant rate, % of residents 16-64
    recycling: float  # typical household recycling rate (fraction)


_A = [  # code, NOMIS name, kind, county, population, 16-64 share, claimant rate, recycling
    ("E08000025", "Birmingham", "met", None, 1_166_000, 0.640, 6.2, 0.22),
    ("E08000026", "Coventry", "met", None, 360_000, 0.665, 4.6, 0.30),
    ("E08000027", "Dudley", "met", None, 326_000, 0.610, 4.7, 0.38),
    ("E08000028", "Sandwell", "met", None, 345_000, 0.628, 5.8, 0.29),
    ("E08000029", "Solihull", "met", None, 218_000, 0.595, 3.3, 0.41),
    ("E08000030", "Walsall", "met", None, 288_000, 0.610, 5.8, 0.35),
    ("E08000031", "Wolverhampton", "met", None, 267_000, 0.625, 6.0, 0.33),
    ("E06000019", "Herefordshire, County of", "unitary", None, 188_000, 0.560, 2.5, 0.39),
    ("E06000020", "Telford and Wrekin", "unitary", None, 188_000, 0.615, 4.0, 0.42),
    ("E06000021", "Stoke-on-Trent", "unitary", None, 260_000, 0.630, 5.1, 0.32),
    ("E06000051", "Shropshire", "unitary", None, 327_000, 0.570, 2.4, 0.55),
    ("E07000192", "Cannock Chase", "district", "E10000028", 102_000, 0.610, 3.2, 0.41),
    ("E07000193", "East Staffordshire", "district", "E10000028", 127_000, 0.605, 2.9, 0.44),
    ("E07000194", "Lichfield", "district", "E10000028", 108_000, 0.585, 2.3, 0.52),
    ("E07000195", "Newcastle-under-Lyme", "district", "E10000028", 125_000, 0.620, 2.9, 0.47),
    ("E07000196", "South Staffordshire", "district", "E10000028", 112_000, 0.585, 2.3, 0.51),
    ("E07000197", "Stafford", "district", "E10000028", 139_000, 0.600, 2.3, 0.46),
    ("E07000198", "Staffordshire Moorlands", "district", "E10000028", 96_000, 0.585, 2.3, 0.49),
    ("E07000199", "Tamworth", "district", "E10000028", 79_000, 0.625, 3.4, 0.40),
    ("E07000218", "North Warwickshire", "district", "E10000031", 66_000, 0.605, 2.6, 0.45),
    ("E07000219", "Nuneaton and Bedworth", "district", "E10000031", 137_000, 0.620, 3.9, 0.40),
    ("E07000220", "Rugby", "district", "E10000031", 117_000, 0.615, 2.8, 0.50),
    ("E07000221", "Stratford-on-Avon", "district", "E10000031", 138_000, 0.575, 2.2, 0.58),
    ("E07000222", "Warwick", "district", "E10000031", 151_000, 0.660, 2.4, 0.53),
    ("E07000234", "Bromsgrove", "district", "E10000034", 100_000, 0.590, 2.2, 0.45),
    ("E07000235", "Malvern Hills", "district", "E10000034", 80_000, 0.560, 2.2, 0.48),
    ("E07000236", "Redditch", "district", "E10000034", 87_000, 0.625, 4.1, 0.36),
    ("E07000237", "Worcester", "district", "E10000034", 104_000, 0.640, 3.4, 0.43),
    ("E07000238", "Wychavon", "district", "E10000034", 133_000, 0.575, 2.2, 0.50),
    ("E07000239", "Wyre Forest", "district", "E10000034", 102_000, 0.590, 3.2, 0.42),
]
_COUNTIES = [
    ("E10000028", "Staffordshire", 0.43),
    ("E10000031", "Warwickshire", 0.52),
    ("E10000034", "Worcestershire", 0.44),
]


def areas() -> list[Area]:
    """Councils (counties as the sum of their districts), then the region and England."""
    out = [
        Area(code, name, 1778384897 + i, kind, county, pop, share, rate, rec)
        for i, (code, name, kind, county, pop, share, rate, rec) in enumerate(_A)
    ]
    for j, (code, name, rec) in enumerate(_COUNTIES):
        members = [a for a in out if a.county == code]
        pop = sum(a.population for a in members)
        share = sum(a.population * a.share_16_64 for a in members) / pop
        rate = sum(a.population * a.share_16_64 * a.claimant_rate for a in members) / (pop * share)
        out.append(Area(code, name, 1774190593 + j, "county", None, pop, share, rate, rec))
    top = [a for a in out if a.kind != "district"]
    pop = sum(a.population for a in top)
    out.append(Area("E12000005", "West Midlands", 2013265925, "region", None, pop, 0.612, 4.5, 0.41))
    out.append(Area("E92000001", "England", 2092957699, "country", None, 57_106_000, 0.630, 4.0, 0.42))
    return out


GEOGRAPHY_TYPES = {
    "met": ("local authorities: district / unitary (as of April 2023)", 424),
    "unitary": ("local authorities: district / unitary (as of April 2023)", 424),
    "district": ("local authorities: district / unitary (as of April 2023)", 424),
    "county": ("local authorities: county / unitary (as of April 2023)", 423),
    "region": ("regions", 480),
    "country": ("countries", 499),
}


def _q(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _population(area: Area, year: int) -> tuple[int, int]:
    rnd = random.Random(f"pop:{area.code}:{year}")
    growth = (1.006 + rnd.uniform(-0.002, 0.002)) ** (year - 2023)
    all_ages = round(area.population * growth)
    return all_ages, round(all_ages * (area.share_16_64 + rnd.uniform(-0.003, 0.003)))


def population_table(years: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(code, year) -> (all ages, aged 16-64); counties, region, England summed up consistently."""
    table = {}
    all_areas = areas()
    for y in years:
        for a in all_areas:
            if a.kind in ("met", "unitary", "district", "country"):
                table[(a.code, y)] = _population(a, int(y))
        for a in all_areas:
            if a.kind == "county":
                members = [m for m in all_areas if m.county == a.code]
                table[(a.code, y)] = tuple(sum(table[(m.code, y)][i] for m in members) for i in (0, 1))
        top = [a for a in all_areas if a.kind in ("met", "unitary", "county")]
        table[("E12000005", y)] = tuple(sum(table[(m.code, y)][i] for m in top) for i in (0, 1))
    return table


def claimant_table(months: list[str]) -> dict[tuple[str, str], tuple[int, float]]:
    """(code, month) -> (claimant count, rate % of residents 16-64)."""
    table = {}
    all_areas = areas()
    pops = population_table(sorted({m[:4] for m in months} | {str(int(m[:4]) - 1) for m in months}))
    for m in months:
        year, month = int(m[:4]), int(m[5:])
        base_year = str(year - 1 if month < 7 else year)  # NOMIS uses the latest mid-year estimate
        for a in all_areas:
            if a.kind in ("met", "unitary", "district", "country"):
                rnd = random.Random(f"cc:{a.code}:{m}")
                season = 1 + 0.04 * (1 if month in (1, 2, 3, 12) else -1 if month in (6, 7, 8) else 0)
                rate = a.claimant_rate * season * (1 + rnd.uniform(-0.04, 0.04))
                table[(a.code, m)] = round(rate * pops[(a.code, base_year)][1] / 100)
        for a in all_areas:
            if a.kind == "county":
                table[(a.code, m)] = sum(table[(d.code, m)] for d in all_areas if d.county == a.code)
        top = [a for a in all_areas if a.kind in ("met", "unitary", "county")]
        table[("E12000005", m)] = sum(table[(a.code, m)] for a in top)
        for a in all_areas:
            count = table[(a.code, m)]
            table[(a.code, m)] = (count, round(100 * count / pops[(a.code, base_year)][1], 1))
    return table


CLAIMANT_HEADER = [
    "DATE",
    "DATE_NAME",
    "DATE_CODE",
    "DATE_TYPE",
    "DATE_TYPECODE",
    "DATE_SORTORDER",
    "GEOGRAPHY",
    "GEOGRAPHY_NAME",
    "GEOGRAPHY_CODE",
    "GEOGRAPHY_TYPE",
    "GEOGRAPHY_TYPECODE",
    "GEOGRAPHY_SORTORDER",
    "GENDER",
    "GENDER_NAME",
    "GENDER_CODE",
    "GENDER_TYPE",
    "GENDER_TYPECODE",
    "GENDER_SORTORDER",
    "AGE",
    "AGE_NAME",
    "AGE_CODE",
    "AGE_TYPE",
    "AGE_TYPECODE",
    "AGE_SORTORDER",
    "MEASURE",
    "MEASURE_NAME",
    "MEASURE_CODE",
    "MEASURE_TYPE",
    "MEASURE_TYPECODE",
    "MEASURE_SORTORDER",
    "MEASURES",
    "MEASURES_NAME",
    "OBS_VALUE",
    "OBS_STATUS",
    "OBS_STATUS_NAME",
    "OBS_CONF",
    "OBS_CONF_NAME",
    "URN",
    "RECORD_OFFSET",
    "RECORD_COUNT",
]
POPULATION_HEADER = [
    h.replace("AGE", "C_AGE") if h.startswith("AGE") else h
    for h in CLAIMANT_HEADER
    if not h.startswith("MEASURE_") and h != "MEASURE"
]

#: (area code, period, measure code) -> (OBS_STATUS, OBS_STATUS_NAME): suppressed cells.
SUPPRESSED = {("E07000235", "2024-02", "2"): ("Q", "These figures are missing.")}


def _geo(a: Area, sort: int) -> list[str]:
    gtype, gtypecode = GEOGRAPHY_TYPES[a.kind]
    return [str(a.nomis_id), _q(a.nomis_name), _q(a.code), _q(gtype), str(gtypecode), str(sort)]


def nomis_claimant_csv(months: list[str], suppressed=SUPPRESSED) -> str:
    table = claimant_table(months)
    measures = [("1", "Claimant count"), ("2", "Claimants as a proportion of residents aged 16-64")]
    lines = [",".join(_q(h) for h in CLAIMANT_HEADER)]
    rows = []
    for d, m in enumerate(months):
        date = [_q(m), _q(f"{MONTH_NAMES[int(m[5:]) - 1]} {m[:4]}"), _q(m), _q("date"), "0", str(d)]
        for g, a in enumerate(areas()):
            count, rate = table[(a.code, m)]
            for k, (code, name) in enumerate(measures):
                value = _num(count if code == "1" else float(rate))
                status, status_name = suppressed.get((a.code, m, code), ("A", "Normal Value"))
                if status != "A":
                    value = ""
                rows.append(
                    date
                    + _geo(a, g)
                    + [
                        "0",
                        _q("Total"),
                        _q("0"),
                        _q("gender"),
                        "0",
                        "0",
                        "0",
                        _q("All categories: Age 16+"),
                        _q("0"),
                        _q("age"),
                        "0",
                        "0",
                        code,
                        _q(name),
                        _q(code),
                        _q("measure"),
                        "0",
                        str(k),
                        "20100",
                        _q("Value"),
                        value,
                        _q(status),
                        _q(status_name),
                        _q("F"),
                        _q("Free (free for publication)"),
                        _q(f"Nm-162d1d32e{d}d{a.nomis_id}d0d0d{code}d20100"),
                    ]
                )
    for i, r in enumerate(rows):
        lines.append(",".join(r + [str(i), str(len(rows))]))
    return "\n".join(lines) + "\n"


def nomis_population_csv(years: list[str]) -> str:
    table = population_table(years)
    ages = [("200", "All Ages"), ("203", "Aged 16 - 64")]
    lines = [",".join(_q(h) for h in POPULATION_HEADER)]
    rows = []
    for d, y in enumerate(years):
        date = [_q(y), _q(y), _q(y), _q("date"), "0", str(d)]
        for g, a in enumerate(areas()):
            values = table[(a.code, y)]
            for k, (code, name) in enumerate(ages):
                rows.append(
                    date
                    + _geo(a, g)
                    + [
                        "0",
                        _q("Total"),
                        _q("0"),
                        _q("gender"),
                        "0",
                        "0",
                        code,
                        _q(name),
                        _q(code),
                        _q("age"),
                        "0",
                        str(k),
                        "20100",
                        _q("Value"),
                        str(values[k]),
                        _q("A"),
                        _q("Normal Value"),
                        _q("F"),
                        _q("Free (free for publication)"),
                        _q(f"Nm-2002d1d32e{d}d{a.nomis_id}d0d{code}d20100"),
                    ]
                )
    for i, r in enumerate(rows):
        lines.append(",".join(r + [str(i), str(len(rows))]))
    return "\n".join(lines) + "\n"


# --- DEFRA LA and regional spreadsheet, Table 3 ------------------------------------------

DEFRA_HEADER = [
    "Year",
    "Region",
    "ONS code",
    "JPP order",
    "Authority",
    "Authority type",
    "Residual household waste per household (kg/household) [note 4]",
    "Percentage of household waste sent for reuse, recycling or composting (Ex NI192)",
]
_OTHER_REGIONS = [
    ("East Midlands", "E06000015", "Derby City Council", "Unitary", 0.33),
    ("East Midlands", "E06000018", "Nottingham City Council", "Unitary", 0.24),
    ("London", "E09000007", "London Borough of Camden", "Collection", 0.27),
]
#: (area code, financial year) -> marker: values DEFRA did not publish.
DEFRA_SUPPRESSED = {("E07000199", "2019-20"): "[x]"}


def financial_years(first: int, last: int) -> list[str]:
    """Financial years by their first calendar year: 2019..2023 -> 2019-20 .. 2023-24."""
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(first, last + 1)]


def defra_table3_rows(years: list[str], suppressed=DEFRA_SUPPRESSED) -> list[list]:
    """The sheet as rows of cells: title rows, the header, England, the regions' authorities."""
    from councilbench.core.catalogue import councils

    registry = councils()
    kinds = {"met": "Unitary", "unitary": "Unitary", "district": "Collection", "county": "Disposal"}
    rows: list[list] = [
        [
            f"Table 3: Local authority collected waste: residual household waste per household and household "
            f"recycling rate (Ex NI191 and Ex NI192), England, {years[0]} to {years[-1]}"
        ],
        [
            "This worksheet contains one table. Some cells refer to notes which can be found in the Notes worksheet. "
            "[x] = data not available."
        ],
        ["Source: WasteDataFlow, Defra"],
        list(DEFRA_HEADER),
    ]
    wm = [a for a in areas() if a.kind not in ("region", "country")]
    for y in years:
        rnd = random.Random(f"defra:{y}")
        drift = (int(y[:4]) - 2023) * 0.004
        rows.append(
            [y, "Total England", None, None, None, None, 520.3 - 4 * (int(y[:4]) - 2023), round(0.417 + drift, 4)]
        )
        for region, code, name, kind, rate in _OTHER_REGIONS:
            rows.append(
                [
                    y,
                    region,
                    code,
                    None,
                    name,
                    kind,
                    round(rnd.uniform(450, 620), 1),
                    round(rate + drift + rnd.uniform(-0.01, 0.01), 4),
                ]
            )
        for order, a in enumerate(wm, start=1):
            rate = round(min(0.7, a.recycling + drift + rnd.uniform(-0.015, 0.015)), 4)
            residual = round(rnd.uniform(380, 600), 1)
            marker = suppressed.get((a.code, y))
            rows.append(
                [
                    y,
                    "West Midlands",
                    a.code,
                    order,
                    registry[a.code].name,
                    kinds[a.kind],
                    marker or residual,
                    marker or rate,
                ]
            )
        rows.append([y, "Total West Midlands", None, None, None, None, 548.2, round(0.405 + drift, 4)])
    return rows


def write_ods(path: Path, sheets: dict[str, list[list]]) -> None:
    """A minimal OpenDocument spreadsheet (mimetype first and stored, fixed timestamps)."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ns} office:version="1.2">'
        "<office:body><office:spreadsheet>"
    ]
    for name, rows in sheets.items():
        parts.append(f'<table:table table:name="{escape(name)}">')
        for row in rows:
            parts.append("<table:table-row>")
            for cell in row:
                if cell is None:
                    parts.append("<table:table-cell/>")
                elif isinstance(cell, (int, float)):
                    parts.append(
                        f'<table:table-cell office:value-type="float" office:value="{cell}">'
                        f"<text:p>{cell}</text:p></table:table-cell>"
                    )
                else:
                    parts.append(
                        f'<table:table-cell office:value-type="string"><text:p>{escape(str(cell))}'
                        "</text:p></table:table-cell>"
                    )
            parts.append("</table:table-row>")
        parts.append("</table:table>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, data, method in [
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
            ("content.xml", "".join(parts), zipfile.ZIP_DEFLATED),
        ]:
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 27, 9, 30, 0))
            info.compress_type = method
            z.writestr(info, data)


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def defra_sheets(years: list[str]) -> dict[str, list[list]]:
    return {
        "Cover_sheet": [
            ["Local authority collected waste management - annual results"],
            ["Statistics on waste managed by local authorities in England"],
        ],
        "Notes": [
            ["Note number", "Note text"],
            ["note 4", "Household figures are per household on the council tax base."],
        ],
        "Table_3": defra_table3_rows(years),
    }


def write_sources(
    folder: Path, *, months: list[str], years: list[str], financial: list[str], gpg_years: list[str] = ()
) -> dict[str, Path]:
    """The files a source server serves: nomis/<dataset>.data.csv, defra/<release file> and
    gpg/<GOV.UK's name for each gender pay gap reporting year> (keys gpg:<year>), and the
    economy tables in ONS's and MHCLG's layouts (economy_table_samples.FILES, keys: dataset ids)."""
    from councilbench.dev import economy_table_samples, gpg_samples

    folder = Path(folder)
    (folder / "nomis").mkdir(parents=True, exist_ok=True)
    out = {
        "NM_162_1": folder / "nomis" / "NM_162_1.data.csv",
        "NM_2002_1": folder / "nomis" / "NM_2002_1.data.csv",
        "defra_ods": folder / "defra" / f"LA_and_Regional_Spreadsheet_{financial[-1]}.ods",
    }
    from councilbench.dev import economy_nomis_samples  # NM_162_1 with the 18-24 band, APS, business counts

    out.update(economy_nomis_samples.write_sources(folder, months=months, years=years))
    out["NM_2002_1"].write_bytes(nomis_population_csv(years).encode("utf-8"))
    write_ods(out["defra_ods"], defra_sheets(financial))
    out.update({f"gpg:{label}": path for label, path in gpg_samples.write_years(folder, list(gpg_years)).items()})
    out.update(economy_table_samples.write_files(folder))
    return out


def write_fixtures(folder: Path) -> dict[str, Path]:
    """The committed test fixtures: claimant count 2024-01..2025-12, population 2019..2024,
    DEFRA 2019-20..2023-24 as ODS (as published now) and XLSX (as published before), gender
    pay gap 2022-23..2024-25."""
    out = write_sources(
        folder,
        months=months_between("2024-01", "2025-12"),
        years=years_between(2019, 2024),
        financial=financial_years(2019, 2023),
        gpg_years=financial_years(2022, 2024),
    )
    out["defra_xlsx"] = Path(folder) / "defra" / "LA_and_Regional_Spreadsheet_202324.xlsx"
    write_xlsx(out["defra_xlsx"], defra_sheets(financial_years(2019, 2023)))
    return out


if __name__ == "__main__":
    for name, path in write_fixtures(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/public")).items():
        print(f"{name}: {path}")
