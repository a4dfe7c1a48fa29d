"""Plausible economy context tables for the 33 councils in the publishers' own layouts:
ONS subregional productivity (ladproductivity.xlsx, itlproductivity.xlsx: Info and
Contents sheets, then a table per sheet under its title, one column per year), MHCLG's
English Indices of Deprivation 2025 local authority summaries (File 10 districts, File 11
upper tier, a sheet per domain) and ONS Standard Area Measurements (a zip of CSVs, one per
geography, columns named by the boundary year).

The figures are of the right size, not real: deprivation highest in Birmingham, Sandwell,
Stoke-on-Trent, Wolverhampton and Walsall and lowest in Stratford-on-Avon, Warwick,
Bromsgrove and Lichfield; land areas close to the published ones (Birmingham about 44
residents a hectare, Shropshire about 1); productivity below the UK's in most of the region.
Deterministic: fixed timestamps inside the XLSX and zip files, so the same call writes the
same bytes and a demo rerun lands nothing new.

    python -m councilbench.dev.economy_table_samples tests/fixtures/public
"""

from __future__ import annotations

import csv
import io
import random
import re
import sys
import zipfile
from pathlib import Path

from councilbench.dev.public_samples import Area, areas, write_xlsx

#: Where each dataset's file lives under a source folder (the publishers' file names).
FILES = {
    "ons_productivity_lad": "ons/ladproductivity.xlsx",
    "ons_productivity_itl": "ons/itlproductivity.xlsx",
    "mhclg_iod_lad": "mhclg/File_10_-_IoD2025_Local_Authority_District_Summaries__lower-tier__v2.xlsx",
    "mhclg_iod_utla": "mhclg/File_11_-_IoD2025_Local_Authority_District_Summaries__upper-tier__v2.xlsx",
    "ons_land_area": "ons/SAM_for_Administrative_Areas_Dec_2024_UK.zip",
}
FIRST_YEAR, LAST_YEAR = 2004, 2023  # productivity years published
SAM_YEAR = 2024
STAMP = (2025, 6, 12, 7, 0, 0)  # every zip entry's time
#: (sheet, LAD code, year) -> marker: a cell ONS did not publish (the load keeps it as such).
PRODUCTIVITY_SUPPRESSED = {("A3", "E07000199", 2004): "[x]"}

# code -> (GVA per hour index 2023, IMD rank among the 296 districts (upper tier: among 153),
#          share of LSOAs in the most deprived 10% (a fraction), land in hectares)
_FACTS = {
    "E08000025": (88.0, 7, 0.431, 26_777),  # Birmingham
    "E08000026": (92.0, 62, 0.152, 9_864),
    "E08000027": (82.5, 88, 0.104, 9_797),
    "E08000028": (79.0, 12, 0.268, 8_556),  # Sandwell
    "E08000029": (108.0, 178, 0.113, 17_829),  # Solihull
    "E08000030": (80.0, 24, 0.243, 10_396),
    "E08000031": (83.0, 21, 0.281, 6_947),
    "E06000019": (78.0, 171, 0.013, 217_973),
    "E06000020": (84.0, 83, 0.121, 29_038),
    "E06000021": (80.5, 15, 0.331, 9_339),  # Stoke-on-Trent
    "E06000051": (81.0, 196, 0.011, 319_730),  # Shropshire
    "E07000192": (85.0, 112, 0.032, 7_890),
    "E07000193": (92.5, 160, 0.041, 38_735),
    "E07000194": (96.0, 246, 0.0, 33_131),  # Lichfield
    "E07000195": (84.5, 148, 0.052, 21_106),
    "E07000196": (90.0, 232, 0.0, 40_732),
    "E07000197": (94.0, 228, 0.012, 59_823),
    "E07000198": (79.5, 203, 0.0, 57_621),
    "E07000199": (86.0, 118, 0.049, 3_095),
    "E07000218": (104.0, 190, 0.022, 28_433),
    "E07000219": (83.5, 96, 0.083, 7_898),
    "E07000220": (98.0, 222, 0.031, 35_096),
    "E07000221": (103.0, 275, 0.0, 97_763),  # Stratford-on-Avon
    "E07000222": (110.0, 268, 0.0, 28_278),  # Warwick
    "E07000234": (95.0, 264, 0.0, 21_714),  # Bromsgrove
    "E07000235": (87.0, 241, 0.0, 57_715),
    "E07000236": (88.5, 108, 0.081, 5_434),
    "E07000237": (89.0, 142, 0.063, 3_328),
    "E07000238": (93.0, 252, 0.0, 66_363),
    "E07000239": (82.0, 130, 0.054, 19_539),
    # counties: ITL3 index, upper-tier rank among 153 (land: the sum of their districts)
    "E10000028": (88.0, 108, 0.031, None),
    "E10000031": (104.5, 122, 0.024, None),
    "E10000034": (90.0, 110, 0.029, None),
}
#: Other areas the published tables hold (out of scope: they prove rows are chosen by code).
_OTHER_DISTRICTS = [
    ("E06000009", "Blackpool", 1, 0.568, 3_486, 73.0),
    ("E06000015", "Derby", 44, 0.171, 7_803, 101.0),
    ("E07000089", "Hart", 296, 0.0, 21_507, 118.0),
    ("E09000007", "Camden", 95, 0.011, 2_179, 180.0),
    ("W06000015", "Cardiff", None, None, 14_038, 96.0),
    ("S12000036", "City of Edinburgh", None, None, 26_373, 112.0),
]
_ITL1 = [
    ("TLC", "North East", 86.3),
    ("TLD", "North West", 90.4),
    ("TLE", "Yorkshire and The Humber", 85.1),
    ("TLF", "East Midlands", 86.0),
    ("TLG", "West Midlands", 88.7),
    ("TLH", "East", 96.2),
    ("TLI", "London", 132.8),
    ("TLJ", "South East", 106.9),
    ("TLK", "South West", 90.8),
    ("TLL", "Wales", 84.2),
    ("TLM", "Scotland", 97.4),
    ("TLN", "Northern Ireland", 84.0),
]
_ITL2 = [
    ("TLG1", "Herefordshire, Worcestershire and Warwickshire", 93.1),
    ("TLG2", "Shropshire and Staffordshire", 85.6),
    ("TLG3", "West Midlands", 88.4),
]
#: ITL3 areas of the region: the county councils are their own ITL3 areas (TLG12, TLG13, TLG24).
_ITL3 = [
    ("TLG11", "Herefordshire, County of", "E06000019"),
    ("TLG12", "Worcestershire CC", "E10000034"),
    ("TLG13", "Warwickshire CC", "E10000031"),
    ("TLG21", "Telford and Wrekin", "E06000020"),
    ("TLG22", "Shropshire", "E06000051"),
    ("TLG23", "Stoke-on-Trent", "E06000021"),
    ("TLG24", "Staffordshire CC", "E10000028"),
    ("TLG31", "Birmingham", "E08000025"),
    ("TLG32", "Solihull", "E08000029"),
    ("TLG33", "Coventry", "E08000026"),
    ("TLG36", "Dudley", "E08000027"),
    ("TLG37", "Sandwell", "E08000028"),
    ("TLG38", "Walsall", "E08000030"),
    ("TLG39", "Wolverhampton", "E08000031"),
]


def _councils() -> list[Area]:
    return [a for a in areas() if a.kind not in ("region", "country")]


# --- ONS subregional productivity -------------------------------------------------------


def uk_gva_per_hour(year: int) -> float:
    """The UK's nominal GVA per hour worked (£): about £24 in 2004, £39 in 2023."""
    return 24.0 * 1.026 ** (year - FIRST_YEAR)


def _index_series(key: str, index_2023: float, years: list[int], smoothed: bool) -> list[float]:
    rnd = random.Random(f"gva:{key}:{smoothed}")
    drift = rnd.uniform(-0.25, 0.25)  # points a year towards 2023
    wobble = 0.4 if smoothed else 1.6
    return [round(index_2023 - drift * (LAST_YEAR - y) + rnd.uniform(-wobble, wobble), 1) for y in years]


_MEASURES = {  # sheet -> (title words, per hour?, pounds?, smoothed?)
    "A1": ("GVA per hour worked indices; UK=100", True, False, True),
    "A2": ("GVA per hour worked indices; UK=100", True, False, False),
    "A3": ("GVA per hour worked (£)", True, True, True),
    "A4": ("GVA per hour worked (£)", True, True, False),
    "B1": ("GVA per filled job indices; UK=100", False, False, True),
    "B2": ("GVA per filled job indices; UK=100", False, False, False),
    "B3": ("GVA per filled job (£)", False, True, True),
    "B4": ("GVA per filled job (£)", False, True, False),
}


def _title(sheet: str, geography: str) -> str:
    words, _, _, smoothed = _MEASURES[sheet]
    smoothing = "(smoothed)" if smoothed else "(unsmoothed)"
    return f"Table {sheet}: Nominal {smoothing} {words}, {geography}, {FIRST_YEAR} to {LAST_YEAR}"


def _productivity_values(sheet: str, key: str, index_2023: float, years: list[int]) -> list[float]:
    _, per_hour, pounds, smoothed = _MEASURES[sheet]
    index = _index_series(key + ("" if per_hour else ":job"), index_2023, years, smoothed)
    if not pounds:
        return index
    uk = [uk_gva_per_hour(y) * (1 if per_hour else 1_650) for y in years]
    return [round(i / 100 * u, 2 if per_hour else 0) for i, u in zip(index, uk, strict=True)]


def _front_sheets(geography: str) -> dict[str, list[list]]:
    contents = [["Contents"], ["Table number", "Table title"]]
    contents += [[s, _title(s, geography).split(": ", 1)[1]] for s in _MEASURES]
    return {
        "Info": [
            [f"Subregional productivity: labour productivity, {geography}"],
            ["Official statistics in development. Source: Office for National Statistics."],
            ["Smoothed figures use a weighted five-year moving average of GVA and labour input."],
        ],
        "Contents": contents,
    }


def productivity_lad_sheets(years: list[int] | None = None) -> dict[str, list[list]]:
    years = years or list(range(FIRST_YEAR, LAST_YEAR + 1))
    rows_of = [("West Midlands", a.code, a.nomis_name, _FACTS[a.code][0]) for a in _councils() if a.kind != "county"]
    rows_of += [("Other", code, name, index) for code, name, _, _, _, index in _OTHER_DISTRICTS]
    rows_of.sort(key=lambda r: r[1])
    sheets = _front_sheets("local authority districts in the United Kingdom")
    for sheet in _MEASURES:
        units = "pounds (£)" if _MEASURES[sheet][2] else "index, UK = 100"
        rows = [
            [_title(sheet, "local authority districts in the United Kingdom")],
            ["This worksheet contains one table. Some cells refer to notes which can be found in the Info worksheet."],
            ["Source: Office for National Statistics"],
            [f"Units: {units}"],
            ["ITL1 Region", "LAD Code", "LAD Name", *[str(y) for y in years]],
        ]
        for region, code, name, index in rows_of:
            values = _productivity_values(sheet, code, index, years)
            values = [PRODUCTIVITY_SUPPRESSED.get((sheet, code, y), v) for y, v in zip(years, values, strict=True)]
            rows.append([region, code, name, *values])
        sheets[sheet] = rows
    return sheets


def productivity_itl_sheets(years: list[int] | None = None) -> dict[str, list[list]]:
    years = years or list(range(FIRST_YEAR, LAST_YEAR + 1))
    entries = [("UK", "UK", "United Kingdom", 100.0)]
    entries += [("ITL1", code, name, index) for code, name, index in _ITL1]
    entries += [("ITL2", code, name, index) for code, name, index in _ITL2]
    entries += [("ITL3", code, name, _FACTS[gss][0]) for code, name, gss in _ITL3]
    sheets = _front_sheets("ITL1, ITL2 and ITL3 subregions")
    for sheet in _MEASURES:
        rows = [
            [_title(sheet, "ITL1, ITL2 and ITL3 subregions")],
            ["This worksheet contains one table."],
            ["Source: Office for National Statistics"],
            ["ITL level", "ITL code", "Region name", *years],  # years as numbers here
        ]
        for level, code, name, index in entries:
            values = _productivity_values(sheet, code, index, years)
            if code == "UK":  # the UK is the index's base: exactly 100
                values = values if _MEASURES[sheet][2] else [100.0] * len(years)
            rows.append([level, code, name, *values])
        sheets[sheet] = rows
    return sheets


# --- English Indices of Deprivation 2025 ------------------------------------------------

_IOD_MEASURES = [
    "Average rank",
    "Rank of average rank",
    "Average score",
    "Rank of average score",
    "Proportion of LSOAs in most deprived 10% nationally",
    "Rank of proportion of LSOAs in most deprived 10% nationally",
]
_DOMAINS = ["IMD", "Income", "Employment", "Education", "Health", "Crime", "Barriers", "Living", "IDACI", "IDAOPI"]


def _iod_row(code: str, name: str, rank: int, share: float, ranked: int) -> list:
    rnd = random.Random(f"iod:{code}:{ranked}")
    score = round(41.0 - 0.11 * rank * 296 / ranked + rnd.uniform(-0.04, 0.04), 3)
    average_rank = round(8_000 + 55 * rank * 296 / ranked + rnd.uniform(-20, 20), 2)
    share_rank = max(1, min(ranked, round(rank * (0.9 + 0.2 * rnd.random()))))
    return [code, name, average_rank, rank, score, rank, share, share_rank]


def _iod_sheets(level: str, rows: list[list]) -> dict[str, list[list]]:
    header = [f"{level} code (2024)", f"{level} name (2024)"]
    sheets = {
        "Notes": [
            ["English Indices of Deprivation 2025: local authority summaries"],
            ["Ranks: 1 is the most deprived. Proportions are fractions (0.25 is 25%)."],
        ]
    }
    for domain in _DOMAINS:
        # The domains' figures are the IMD's here: only the IMD sheet is read.
        sheets[domain] = [header + [f"{domain} - {m}" for m in _IOD_MEASURES], *rows]
    return sheets


def iod_lad_sheets() -> dict[str, list[list]]:
    rows = [
        _iod_row(a.code, a.nomis_name, _FACTS[a.code][1], _FACTS[a.code][2], 296)
        for a in _councils()
        if a.kind != "county"
    ]
    rows += [_iod_row(c, n, r, s, 296) for c, n, r, s, _, _ in _OTHER_DISTRICTS if r]
    return _iod_sheets("Local Authority District", sorted(rows))


def iod_utla_sheets() -> dict[str, list[list]]:
    """Upper tier: the counties, the metropolitan and unitary councils (ranked among 153)."""
    rows = []
    for a in _councils():
        if a.kind == "district":
            continue
        _, rank, share, _ = _FACTS[a.code]
        utla_rank = rank if a.kind == "county" else max(1, round(rank * 153 / 296))
        rows.append(_iod_row(a.code, a.nomis_name, utla_rank, share, 153))
    rows.append(_iod_row("E10000016", "Kent", 87, 0.045, 153))
    return _iod_sheets("Upper Tier Local Authority District", sorted(rows))


# --- ONS Standard Area Measurements -----------------------------------------------------


def land_hectares() -> dict[str, float]:
    """Land (AREALHECT) by GSS code: councils, counties (their districts' sum), the region, England."""
    land = {code: float(f[3]) for code, f in _FACTS.items() if f[3]}
    for a in _councils():
        if a.kind == "county":
            land[a.code] = sum(land[d.code] for d in _councils() if d.county == a.code)
    land["E12000005"] = sum(land[a.code] for a in _councils() if a.kind != "county")
    land["E92000001"] = 13_046_195.0
    return land


def _sam_csv(prefix: str, rows: list[tuple[str, str, float]]) -> bytes:
    yy = f"{SAM_YEAR % 100:02d}"
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        [f"{prefix}{yy}CD", f"{prefix}{yy}NM", f"{prefix}{yy}NMW", "AREAEHECT", "AREACHECT", "AREAIHECT", "AREALHECT"]
    )
    for code, name, land in rows:
        rnd = random.Random(f"sam:{code}")
        inland = round(land * rnd.uniform(0.0005, 0.01), 2)
        w.writerow([code, name, "", f"{land + inland:.2f}", f"{land + inland:.2f}", f"{inland:.2f}", f"{land:.2f}"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # ONS's CSVs start with a byte-order mark


def sam_members() -> dict[str, bytes]:
    land = land_hectares()
    districts = [(a.code, a.nomis_name, land[a.code]) for a in _councils() if a.kind != "county"]
    districts += [(c, n, float(h)) for c, n, _, _, h, _ in _OTHER_DISTRICTS]
    counties = [(a.code, a.nomis_name, land[a.code]) for a in _councils() if a.kind == "county"]
    counties.append(("E10000016", "Kent", 354_427.0))
    regions = [("E12000004", "East Midlands", 1_562_710.0), ("E12000005", "West Midlands", land["E12000005"])]
    countries = [
        ("E92000001", "England", land["E92000001"]),
        ("W92000004", "Wales", 2_073_514.0),
        ("S92000003", "Scotland", 7_792_522.0),
    ]
    y = SAM_YEAR
    return {
        f"SAM_LAD_DEC_{y}_UK.csv": _sam_csv("LAD", sorted(districts)),
        f"SAM_CTY_DEC_{y}_EN.csv": _sam_csv("CTY", sorted(counties)),
        f"SAM_RGN_DEC_{y}_EN.csv": _sam_csv("RGN", regions),
        f"SAM_CTRY_DEC_{y}_UK.csv": _sam_csv("CTRY", countries),
        f"SAM_Administrative_Areas_{y}_User_Guide.txt": (
            b"Standard Area Measurements for administrative areas. AREAEHECT total extent, AREACHECT area to "
            b"mean high water, AREAIHECT inland water, AREALHECT land (to mean high water excluding inland water)."
        ),
    }


# --- writing ----------------------------------------------------------------------------


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """A zip with fixed timestamps: the same members give the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def write_fixed_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    """An XLSX (openpyxl) rewritten with fixed timestamps, inside and on its zip entries."""
    write_xlsx(path, sheets)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2025-06-12T07:00:00Z", members["docProps/core.xml"]
    )
    write_zip(path, members)


def write_files(folder: Path) -> dict[str, Path]:
    """Every economy table under `folder` (FILES): dataset id -> path."""
    folder = Path(folder)
    out = {dataset_id: folder / relative for dataset_id, relative in FILES.items()}
    write_fixed_xlsx(out["ons_productivity_lad"], productivity_lad_sheets())
    write_fixed_xlsx(out["ons_productivity_itl"], productivity_itl_sheets())
    write_fixed_xlsx(out["mhclg_iod_lad"], iod_lad_sheets())
    write_fixed_xlsx(out["mhclg_iod_utla"], iod_utla_sheets())
    write_zip(out["ons_land_area"], sam_members())
    return out


def written(folder: Path) -> bool:
    return all((Path(folder) / relative).is_file() for relative in FILES.values())


def served_urls(server) -> dict[str, str]:
    """Each dataset's COUNCILBENCH_*_URL pointing at its file on a SourceServer of the folder."""
    from councilbench.public import datasets

    return {datasets.get(d).url_env: server.url(relative) for d, relative in FILES.items()}


if __name__ == "__main__":
    for name, path in write_files(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/public")).items():
        print(f"{name}: {path}")
