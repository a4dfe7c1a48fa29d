"""Plausible GOV.UK gender pay gap downloads, in the published format: one CSV per
reporting year ("UK Gender Pay Gap Data - 2024 to 2025.csv"), UTF-8 with a byte-order
mark, every field quoted, the 27 published columns in their order, SicCodes with a line
break inside the cell, dates as "2025/03/31 00:00:00", SubmittedAfterTheDeadline as
True/False, bonus gaps blank where no bonus was paid.

The councils carry the registry's gpg_employer_id as their EmployerId, named as GOV.UK
might name them ("COUNTY OF HEREFORDSHIRE DISTRICT COUNCIL"), public-sector due dates
(31 March); other West Midlands employers (universities, NHS trusts, companies, an
arm's-length housing company) fill the rest, one of them named like a council
("BIRMINGHAM CITY UNIVERSITY"). Malvern Hills is not in the 2024-25 file (a district
near the 250-staff line), so that year loads with a councils_matched warning. Figures are plausible, not real. Deterministic: the same years give the same bytes.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from councilbench.public import gender_pay_gap as gpg

#: Councils whose row is left out of a reporting year's file.
ABSENT = {("E07000235", "2024-25")}
#: Councils that submitted after the deadline that year.
LATE = {("E07000199", "2023-24"), ("E08000028", "2024-25")}

#: GSS code -> (name as published when it differs from the registry's, postcode, size band)
_COUNCILS = {
    "E08000025": (None, "B1 1BB", "20,000 or more"),
    "E08000026": (None, "CV1 5RR", "5000 to 19,999"),
    "E08000027": (None, "DY1 1HF", "5000 to 19,999"),
    "E08000028": (None, "B69 3DE", "5000 to 19,999"),
    "E08000029": (None, "B91 3QB", "1000 to 4999"),
    "E08000030": ("WALSALL COUNCIL", "WS1 1TP", "1000 to 4999"),
    "E08000031": ("WOLVERHAMPTON CITY COUNCIL", "WV1 1SH", "5000 to 19,999"),
    "E06000019": ("COUNTY OF HEREFORDSHIRE DISTRICT COUNCIL", "HR4 0LE", "1000 to 4999"),
    "E06000020": ("TELFORD AND WREKIN COUNCIL", "TF3 4JA", "1000 to 4999"),
    "E06000021": (None, "ST4 1HH", "1000 to 4999"),
    "E06000051": (None, "SY2 6LY", "1000 to 4999"),
    "E10000028": (None, "ST16 2DH", "5000 to 19,999"),
    "E10000031": (None, "CV34 4RL", "1000 to 4999"),
    "E10000034": (None, "WR5 2NP", "1000 to 4999"),
    "E07000192": (None, "WS11 1BG", "250 to 499"),
    "E07000193": (None, "DE14 2EB", "250 to 499"),
    "E07000194": (None, "WS13 6YY", "250 to 499"),
    "E07000195": (None, "ST5 1BL", "250 to 499"),
    "E07000196": (None, "WV8 1PX", "250 to 499"),
    "E07000197": (None, "ST16 3AQ", "500 to 999"),
    "E07000198": (None, "ST13 6HQ", "250 to 499"),
    "E07000199": (None, "B79 7BZ", "250 to 499"),
    "E07000218": (None, "CV9 1DE", "250 to 499"),
    "E07000219": (None, "CV11 5AA", "500 to 999"),
    "E07000220": (None, "CV21 2RR", "500 to 999"),
    "E07000221": (None, "CV37 6HX", "250 to 499"),
    "E07000222": (None, "CV32 5HZ", "500 to 999"),
    "E07000234": (None, "B60 1AA", "250 to 499"),
    "E07000235": (None, "WR14 3AF", "250 to 499"),
    "E07000236": (None, "B98 8AH", "250 to 499"),
    "E07000237": (None, "WR1 2EY", "500 to 999"),
    "E07000238": (None, "WR10 1PT", "250 to 499"),
    "E07000239": (None, "DY11 7WF", "500 to 999"),
}

#: (EmployerId, name, postcode, company number, SIC codes, size, public sector, bonus paid)
_OTHERS = [
    ("2871", "BIRMINGHAM CITY UNIVERSITY", "B4 7XG", "", "85421", "1000 to 4999", True, False),
    ("3455", "UNIVERSITY OF WOLVERHAMPTON", "WV1 1LY", "", "85421", "1000 to 4999", True, False),
    ("4120", "THE ROYAL WOLVERHAMPTON NHS TRUST", "WV10 0QP", "", "86101", "5000 to 19,999", True, False),
    ("4391", "WORCESTERSHIRE ACUTE HOSPITALS NHS TRUST", "WR5 1DD", "", "86101", "5000 to 19,999", True, False),
    ("5012", "WEST MIDLANDS COMBINED AUTHORITY", "B19 3SD", "", "1,\n84110", "500 to 999", True, False),
    ("6230", "WOLVERHAMPTON HOMES LIMITED", "WV1 1RU", "05101587", "68320", "500 to 999", False, False),
    ("7344", "SEVERN TRENT WATER LIMITED", "CV1 2LZ", "02366686", "36000", "5000 to 19,999", False, True),
    ("8102", "COVENTRY BUILDING SOCIETY", "CV3 1QN", "", "64191", "1000 to 4999", False, True),
    ("9555", "MIDLAND METAL PRESSINGS LIMITED", "WS10 8LT", "01234567", "25500", "250 to 499", False, True),
    ("10873", "BLACK COUNTRY LOGISTICS LTD", "DY4 7UJ", "07654321", "49410", "500 to 999", False, True),
    ("11408", "SHIRE HALL CATERING LIMITED", "ST16 2LH", "08123987", "56290", "250 to 499", False, False),
    ("12977", "MERCIA ENGINEERING GROUP PLC", "B90 4GH", "03456789", "28990", "1000 to 4999", False, True),
]


def reporting_years(first: int, last: int) -> list[str]:
    return [gpg.reporting_year(y) for y in range(first, last + 1)]


def _council_id(code: str) -> str:
    from councilbench.core.catalogue import councils

    # The registry's id (what the loader matches on); a blank one gets a stable id of its own.
    return councils()[code].gpg_employer_id or str(20_000 + int(code[3:]) % 10_000)


def _shares(rnd: random.Random, public: bool) -> list[float]:
    """Women's share of each quartile, lower to top: councils employ mostly women, fewer at the top."""
    top = rnd.uniform(45, 64) if public else rnd.uniform(12, 40)
    return [round(min(92.0, top + step * rnd.uniform(0.8, 1.4)), 1) for step in (14, 9, 4, 0)]


def _row(who: dict, label: str, rnd: random.Random, *, public: bool, bonus: bool, late: bool = False) -> list[str]:
    """One employer's published row. who: name, employer_id, address, postcode, company, sic, size, link."""
    female = _shares(rnd, public)
    mean_gap = round((female[0] - female[3]) * rnd.uniform(0.15, 0.35) + rnd.uniform(-3, 3), 1)
    median_gap = round(mean_gap + rnd.uniform(-4, 5), 1)
    if bonus:
        male_bonus, female_bonus = round(rnd.uniform(20, 80), 1), round(rnd.uniform(15, 80), 1)
        bonus_gaps = [f"{rnd.uniform(-40, 60):.1f}", f"{rnd.uniform(-30, 50):.1f}"]
    else:
        male_bonus = female_bonus = 0.0
        bonus_gaps = ["", ""]
    end = gpg.first_year(label) + 1
    due = f"{end}/03/31 00:00:00" if public else f"{end}/04/05 00:00:00"
    month, day = (4, rnd.randint(1, 28)) if late else (rnd.choice([1, 2, 3]), rnd.randint(1, 28))
    submitted = (
        f"{end}/{month:02d}/{day:02d} {rnd.randint(8, 17):02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}"
    )
    gaps = [f"{mean_gap:.1f}", f"{median_gap:.1f}", *bonus_gaps, f"{male_bonus:.1f}", f"{female_bonus:.1f}"]
    quartiles = [v for f in female for v in (f"{100 - f:.1f}", f"{f:.1f}")]
    person = "" if public else "Alex Morgan (HR Director)"  # invented; never loaded
    identity = [who[k] for k in ("name", "employer_id", "address", "postcode", "company", "sic")]
    tail = [who["link"], person, who["size"], who["name"], str(late), due, submitted]
    return [*identity, *gaps, *quartiles, *tail]


def rows(label: str, absent=ABSENT, late=LATE) -> list[list[str]]:
    """One reporting year's employer rows, sorted by name as the download is."""
    from councilbench.core.catalogue import councils

    out = []
    for code, council in councils().items():
        if (code, label) in absent:
            continue
        published, postcode, size = _COUNCILS[code]
        who = {
            "name": published or council.name.upper(),
            "employer_id": _council_id(code),
            "address": f"Council House, {council.short_name.replace('-', ' ').title()}",
            "postcode": postcode,
            "company": "",  # councils have no company number
            "sic": "1,\n84110",  # 1: public sector; a line break inside the cell, as published
            "size": size,
            "link": f"{council.website}/gender-pay-gap",
        }
        rnd = random.Random(f"gpg:{code}:{label}")
        out.append(_row(who, label, rnd, public=True, bonus=False, late=(code, label) in late))
    for employer_id, name, postcode, company, sic, size, public, bonus in _OTHERS:
        who = {"name": name, "employer_id": employer_id, "address": "1 High Street", "postcode": postcode}
        who |= {"company": company, "sic": sic, "size": size, "link": ""}
        out.append(_row(who, label, random.Random(f"gpg:{employer_id}:{label}"), public=public, bonus=bonus))
    return sorted(out, key=lambda r: r[0])


def gpg_csv(label: str, table: list[list[str]] | None = None, header=gpg.PUBLISHED_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows(label) if table is None else table)
    return out.getvalue().encode("utf-8-sig")


def write_years(folder: Path, labels: list[str]) -> dict[str, Path]:
    """gpg/<published name> for each reporting year; label -> path."""
    out = {}
    for label in labels:
        path = Path(folder) / "gpg" / gpg.published_name(label)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gpg_csv(label))
        out[label] = path
    return out
