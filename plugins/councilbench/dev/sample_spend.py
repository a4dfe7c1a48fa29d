"""Realistic "spend over £500" files for the 33 councils, any months, with the truth kept.

Pooled procurement spend (issue 15) needs files that look like what councils publish
under the Local Government Transparency Code 2015: each council in its own layout (six
here, from the five real ones in tests/fixtures/spend plus the LGA's template), monthly
or quarterly, CSV or XLSX, with the habits real files have: redacted beneficiaries in
many spellings, credit notes, float artefacts, '#N/A', supplier names cut at 35
characters, one transaction over several lines (some parts under £500), '£', commas,
brackets and trailing totals, title rows and Excel serial dates, Windows-1252.

The truth is kept for every line: which supplier (from dev/sample_suppliers.py, so
suppliers are shared across councils and partnership groups share suppliers), which
category (ProClass-style top and second level, for the categorisation seed to be
measured against), whether it was redacted, what the council called its expense type.

Sizes are plausible: about a million lines a year over the 33 councils; a county spends
far more than a district, and Staffordshire, Shropshire and Worcestershire County
together spend over £725m a year. A month's lines are a pure function of (seed,
council, month): the same seed gives byte-identical files, and one month alone equals
the same month in a history. A quarterly council's file holds its three months' lines.

    sample = write(out, ["2026-01", "2026-02"], faults={"dudley": ["html_page"]})
    sample.paths, sample.files[0].lines, sample.expense_types["E08000025"]

writes <out>/<short_name>/spend-<YYYY-MM>.csv (or spend-<YYYY>-Q<n>.xlsx: calendar
quarters, as the returns use), the layout a registry `spend_source` template such as
`{spend_base_url}/<short_name>/spend-{period}.csv` would serve. A fault applies to the
council's last period written, as in dev/sample_returns.py; a faulted file keeps its
name whatever it holds, as a council's address would.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
import random
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from time import perf_counter
from typing import NamedTuple

from councilbench.core import catalogue
from councilbench.core.calendar import month_index, month_label, months_between
from councilbench.core.catalogue import Council
from councilbench.dev import sample_suppliers
from councilbench.dev.sample_returns import LOGIN_PAGE, area
from councilbench.returns.template import deterministic_xlsx
from councilbench.spend.headers import header_map
from councilbench.spend.values import EXCEL_EPOCH, is_redacted

SEED = sample_suppliers.SEED
#: Suppliers in the universe the councils draw from (about 500 records per council).
UNIVERSE = 8_000
#: A file never has fewer lines than this, however small the scale.
MIN_LINES = 12

# --- which council publishes how ------------------------------------------------------------

LAYOUTS = ("metropolitan_csv", "county_xlsx", "district_cp1252", "purchase_card", "formatted_csv", "lga_template")
#: Fixed by council (a registry's spend_source names the extension), the five fixture
#: councils first in their own layout.
LAYOUT_OF = {
    "birmingham": "metropolitan_csv", "sandwell": "metropolitan_csv", "walsall": "metropolitan_csv",
    "wolverhampton": "metropolitan_csv", "stoke-on-trent": "metropolitan_csv",
    "nuneaton-and-bedworth": "metropolitan_csv", "redditch": "metropolitan_csv",
    "worcestershire": "county_xlsx", "staffordshire": "county_xlsx", "herefordshire": "county_xlsx",
    "wychavon": "county_xlsx", "stafford": "county_xlsx", "lichfield": "county_xlsx",
    "cannock-chase": "district_cp1252", "tamworth": "district_cp1252", "east-staffordshire": "district_cp1252",
    "newcastle-under-lyme": "district_cp1252", "staffordshire-moorlands": "district_cp1252",
    "malvern-hills": "district_cp1252", "wyre-forest": "district_cp1252",
    "warwickshire": "purchase_card", "coventry": "purchase_card", "rugby": "purchase_card",
    "north-warwickshire": "purchase_card",
    "shropshire": "formatted_csv", "telford-and-wrekin": "formatted_csv", "dudley": "formatted_csv",
    "bromsgrove": "formatted_csv", "south-staffordshire": "formatted_csv",
    "solihull": "lga_template", "warwick": "lga_template", "stratford-on-avon": "lga_template",
    "worcester": "lga_template",
}  # fmt: skip
#: Councils that publish once a quarter (calendar quarters), the rest every month.
QUARTERLY = frozenset(
    {"herefordshire", "wychavon", "staffordshire-moorlands", "malvern-hills", "north-warwickshire", "bromsgrove",
     "south-staffordshire"}
)  # fmt: skip
#: Third-party spend a resident a year (£) and payment lines a resident a year, by tier.
SPEND_PER_RESIDENT = {"metropolitan_borough": 1_300, "unitary": 900, "county": 420, "district": 250}
LINES_PER_RESIDENT = {"metropolitan_borough": 0.13, "unitary": 0.13, "county": 0.12, "district": 0.10}
#: Year-end (March) spending, quieter April, August and December.
SEASON = {1: 1.0, 2: 0.97, 3: 1.35, 4: 0.85, 5: 0.95, 6: 1.0, 7: 1.02, 8: 0.92, 9: 1.0, 10: 1.03, 11: 1.0, 12: 0.9}

# --- categories and the councils' names for them ------------------------------------------------

SOC, CON, HWY, ENV = "Social Community Care Supplies & Services", "Construction", "Highways & Transport", "Environmental Services"  # fmt: skip
ICT, CONS, UTIL, VEH = "Information Communication Technology", "Consultancy", "Utilities", "Vehicle Management"
FAC, PUB, HOUS = "Facilities & Management Services", "Public Sector Bodies", "Housing Management"
#: (ProClass-style top level, second level) -> the expense types councils name it by. No
#: name is under two categories, so within a council a name says its category.
EXPENSE_TYPES: dict[tuple[str, str], tuple[str, ...]] = {
    (SOC, "Adult Residential Care"): ("Residential Care", "Residential Care - Older People", "Care Home Fees", "Nursing Care Placements", "Res & Nursing Placements"),
    (SOC, "Home Care"): ("Domiciliary Care", "Home Care - Independent Sector", "Homecare Services", "Dom Care Providers"),
    (SOC, "Children's Placements"): ("Childrens Residential Placements", "Independent Fostering Agencies", "Looked After Children Placements", "Out of Area Placements"),
    (SOC, "Supported Living"): ("Supported Living", "Supported Accommodation", "Learning Disability Support"),
    (SOC, "Voluntary Sector Services"): ("Grants to Voluntary Organisations", "Voluntary Sector Contracts", "Third Sector Payments", "Community Grants"),
    (SOC, "Direct Payments & Allowances"): ("Direct Payments", "Foster Care Allowances", "Care Leavers Support", "Special Guardianship Allowances"),
    (CON, "Building Works"): ("Building Works", "Capital Building Works", "Construction Contracts", "New Build Works"),
    (CON, "Repairs & Maintenance"): ("Building Repairs & Maintenance", "Repairs and Maintenance - Buildings", "Planned Maintenance", "Responsive Repairs"),
    (HWY, "Highway Maintenance"): ("Highways Maintenance", "Road Maintenance", "Carriageway Repairs", "Highways Contractor Payments"),
    (HWY, "Passenger Transport"): ("Home to School Transport", "Passenger Transport", "Taxi Contracts", "Transport Contracts - SEN"),
    (ENV, "Waste Collection & Disposal"): ("Waste Disposal", "Refuse Collection", "Waste Management Contract", "Landfill & Disposal Costs"),
    (ENV, "Recycling"): ("Recycling Credits", "Recycling Services", "Dry Recycling Processing"),
    (ENV, "Grounds Maintenance"): ("Grounds Maintenance", "Parks Maintenance", "Tree Works", "Landscaping"),
    (ICT, "Software"): ("Software Licences", "Software Maintenance", "ICT Software", "Licences & Subscriptions"),
    (ICT, "Hardware"): ("Computer Hardware", "ICT Equipment", "IT Hardware Purchases"),
    (ICT, "Telecommunications"): ("Telephones", "Telecoms & Data Lines", "Mobile Phones"),
    (CONS, "Management Consultancy"): ("Consultancy", "Consultants Fees", "Professional Fees", "External Advisors"),
    (CONS, "Property Consultancy"): ("Surveyors Fees", "Valuation Fees", "Property Consultants"),
    ("Legal Services", "Legal Advice"): ("Legal Fees", "External Legal Advice", "Barristers Fees"),
    ("Human Resources", "Agency Staff"): ("Agency Staff", "Temporary Staff", "Interim Staff Costs", "Agency Workers"),
    (UTIL, "Energy"): ("Electricity", "Gas", "Energy Costs", "Utilities - Electricity"),
    (UTIL, "Water"): ("Water Charges", "Water Rates", "Water & Sewerage"),
    (VEH, "Fuel"): ("Fuel", "Vehicle Fuel", "Diesel", "Fuel Cards"),
    (VEH, "Vehicle Hire"): ("Vehicle Hire", "Vehicle Leasing", "Fleet Hire"),
    ("Stationery", "Office Supplies"): ("Stationery", "Office Supplies", "Printing & Stationery", "Photocopying"),
    ("Furniture & Soft Furnishings", "Office Furniture"): ("Furniture", "Furniture & Fittings", "Office Furniture & Equipment"),
    (FAC, "Building Services"): ("Facilities Management", "Building Services", "Minor Works", "Property Services Contracts"),
    (FAC, "Security"): ("Security Services", "Security & Alarms", "Locksmith Services"),
    ("Cleaning & Janitorial", "Cleaning Services"): ("Cleaning", "Cleaning Contracts", "Window Cleaning"),
    ("Catering", "Catering Services"): ("Catering", "Catering Provisions", "Food & Catering", "School Meals"),
    ("Education", "Education Services"): ("Payments to Academies", "Further Education Provision", "Education Other Providers", "Tuition Fees"),
    ("Healthcare", "Public Health Services"): ("Public Health Contracts", "Health Services", "Sexual Health Services", "NHS Contributions"),
    (PUB, "Payments to Other Authorities"): ("Payments to Other Local Authorities", "Contributions to Other LAs", "Inter Authority Payments", "Shared Service Recharges"),
    (HOUS, "Housing Support Payments"): ("Housing Benefit Overpayment", "Homelessness Prevention", "Rent Deposits", "Discretionary Housing Payments"),
}  # fmt: skip
_C = {second: (top, second) for top, second in EXPENSE_TYPES}
#: A supplier's sector -> what it is paid for: (the first word found in its name, categories).
SECTOR_CATEGORIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "care": (("", ("Adult Residential Care", "Home Care", "Children's Placements", "Supported Living")),),
    "construction": (("", ("Building Works", "Repairs & Maintenance", "Highway Maintenance")),),
    "waste": (("", ("Waste Collection & Disposal", "Recycling")),),
    "it": (("", ("Software", "Hardware", "Telecommunications")),),
    "consultancy": (("Legal", ("Legal Advice",)), ("Recruitment", ("Agency Staff",)), ("Surveyors", ("Property Consultancy",)), ("", ("Management Consultancy",))),
    "utilities": (("Water", ("Water",)), ("Telecom", ("Telecommunications",)), ("", ("Energy",))),
    "fuel": (("", ("Fuel", "Vehicle Hire")),),
    "stationery": (("Furniture", ("Office Furniture",)), ("", ("Office Supplies",))),
    "charity": (("", ("Voluntary Sector Services",)),),
    "public": (("College", ("Education Services",)), ("Academy", ("Education Services",)), ("Fire", ("Payments to Other Authorities",)), ("", ("Public Health Services",))),
    "council": (("", ("Payments to Other Authorities",)),),
    "sole_trader": (
        ("Landscapes", ("Grounds Maintenance",)), ("Tree", ("Grounds Maintenance",)), ("Cleaning", ("Cleaning Services",)),
        ("Locksmiths", ("Security",)), ("Security", ("Security",)), ("Taxis", ("Passenger Transport",)),
        ("Removals", ("Passenger Transport",)), ("Catering", ("Catering Services",)), ("Signs", ("Office Supplies",)),
        ("Pest", ("Building Services",)), ("", ("Repairs & Maintenance", "Building Services")),
    ),
}  # fmt: skip
#: How big a sector's invoices are next to the council's average line, before normalising.
SECTOR_SIZE = {"care": 1.0, "construction": 2.5, "waste": 3.0, "it": 1.2, "consultancy": 0.8, "utilities": 1.5,
               "fuel": 0.7, "stationery": 0.3, "charity": 0.8, "public": 3.0, "council": 4.0, "sole_trader": 0.25}  # fmt: skip
#: Districts do not commission social care or schools; counties do not collect waste.
TIER_SECTOR_WEIGHT = {"district": {"care": 0.05, "public": 0.3}, "county": {"waste": 0.5}}
ZERO_VAT_SECTORS = frozenset({"care", "charity", "public", "council"})
CARD_SECTORS = frozenset({"stationery", "it", "fuel", "sole_trader"})
MERCHANT_CATEGORIES = {"stationery": ("Stationery Stores", "Office Supplies"), "it": ("Computer Software Stores", "Computer Network Services"),
                       "fuel": ("Service Stations",), "sole_trader": ("Hardware Stores", "Contractors", "Miscellaneous Retail")}  # fmt: skip
DIRECTORATES = {SOC: ("People", "Adult Social Care"), CON: ("Place", "Property Services"), HWY: ("Place", "Highways"),
                ENV: ("Place", "Environmental Services"), ICT: ("Resources", "ICT"), PUB: ("Resources", "Finance"),
                HOUS: ("Communities", "Housing"), "Education": ("People", "Education")}  # fmt: skip
#: How councils write a beneficiary they withhold (every one is_redacted).
REDACTIONS = (
    "REDACTED PERSONAL DATA", "Redacted under DP Act", "Personal Information", "Redacted - Personal Data", "REDACTED",
    "Personal Data Redacted", "Data Protection Act", "Withheld - Personal Data", "Name Removed", "Private Individual",
    "GDPR Redacted", "Not disclosed - personal data", "Individual", "Personal Details Withheld",
)  # fmt: skip
AMOUNT_WORDS = ("TBC", "see attached", "five hundred", "n/a - credit", "approx 1200")


# --- a council's profile: suppliers, names, habits ---------------------------------------------------


class PaidSupplier(NamedTuple):
    supplier_id: str
    raw_name: str
    vendor_id: str
    company_number: str | None
    vat_number: str | None
    sector: str
    categories: tuple[tuple[str, str], ...]
    size: float  # invoice size against the council's average line
    vat_rate: float


@dataclass(frozen=True)
class Profile:
    council: Council
    layout: str
    quarterly: bool
    annual_spend: float  # £ a year, the model's target
    lines_per_month: float
    suppliers: tuple[PaidSupplier, ...]
    cum_weights: tuple[float, ...]
    card_suppliers: tuple[PaidSupplier, ...]
    expense_names: dict[tuple[str, str], tuple[str, ...]]  # category -> the names this council writes
    expense_codes: dict[str, str]  # expense type as written -> the council's code
    redactions: tuple[str, ...]
    redacted_share: float
    card_share: float
    float_share: float  # amounts written with a binary float's tail
    na_share: float  # '#N/A' in an optional text column

    @property
    def extension(self) -> str:
        return "xlsx" if self.layout == "county_xlsx" else "csv"

    @property
    def redacted_category(self) -> tuple[str, str]:
        return _C["Housing Support Payments"] if self.council.tier == "district" else _C["Direct Payments & Allowances"]


def _sector_categories(sector: str, name: str) -> tuple[tuple[str, str], ...]:
    for word, seconds in SECTOR_CATEGORIES[sector]:
        if word in name:
            return tuple(_C[s] for s in seconds)
    raise AssertionError(f"no category for sector {sector}")  # the '' entry always matches


def annual_spend(council: Council) -> float:
    """The model's third-party spend over £500 a year, in pounds."""
    return area(council.code).population * SPEND_PER_RESIDENT[council.tier]


@lru_cache(maxsize=4)
def _records_by_council(seed: int) -> dict:
    return sample_suppliers.suppliers_by_council(UNIVERSE, seed)


def _paid_suppliers(council: Council, rng: random.Random, lines_per_month: float, seed: int):
    """The suppliers a council pays, as its system names them, and how often (cumulative
    weights): heavy-tailed, a few suppliers take most of the lines."""
    universe = {s.supplier_id: s for s in sample_suppliers.universe(UNIVERSE, seed)}
    # A small council pays fewer suppliers: keep a share of the records, by size.
    keep = min(1.0, 0.35 + lines_per_month / 6_000)
    tier_weight = TIER_SECTOR_WEIGHT.get(council.tier, {})
    paid, weights = [], []
    for n, (record, sid) in enumerate(_records_by_council(seed)[council.code]):
        if rng.random() > keep or is_redacted(record.raw_name):
            continue
        s = universe[sid]
        categories = _sector_categories(s.sector, s.trading_name or s.name)
        vat_rate = 0.0 if s.sector in ZERO_VAT_SECTORS or not s.vat_number else 0.2
        vendor = f"{100_000 + 7 * n + rng.randrange(7)}"
        paid.append(PaidSupplier(sid, record.raw_name, vendor, record.company_number, record.vat_number, s.sector,
                                 categories, SECTOR_SIZE[s.sector], vat_rate))  # fmt: skip
        weights.append(rng.paretovariate(1.2) * tier_weight.get(s.sector, 1.0))
    mean_size = sum(w * p.size for w, p in zip(weights, paid, strict=True)) / sum(weights)
    paid = [p._replace(size=p.size / mean_size) for p in paid]  # the weighted mean line is the average
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    return tuple(paid), tuple(cum)


def _expense_names(rng: random.Random) -> tuple[dict, dict]:
    """One or two of each category's names, in the council's style: as written, with
    codes prefixed ('5230 Residential Care') or in capitals; and each one's code."""
    style = rng.choice(("plain", "plain", "upper", "coded"))
    names, codes = {}, {}
    for i, (category, spellings) in enumerate(EXPENSE_TYPES.items()):
        written = []
        for j, name in enumerate(rng.sample(spellings, 2 if rng.random() < 0.3 else 1)):
            number = f"{5000 + 37 * i + j}"
            text = name.upper() if style == "upper" else f"{number} {name}" if style == "coded" else name
            written.append(text)
            codes[text] = number
        names[category] = tuple(written)
    return names, codes


@lru_cache(maxsize=128)
def profile(code: str, seed: int = SEED) -> Profile:
    """How one council publishes: a pure function of (council, seed)."""
    council = catalogue.councils()[code]
    rng = random.Random(f"spend-profile:{seed}:{code}")
    lines_per_month = area(code).population * LINES_PER_RESIDENT[council.tier] / 12
    paid, cum = _paid_suppliers(council, rng, lines_per_month, seed)
    names, codes = _expense_names(rng)
    layout = LAYOUT_OF[council.short_name]
    return Profile(
        council=council,
        layout=layout,
        quarterly=council.short_name in QUARTERLY,
        annual_spend=annual_spend(council),
        lines_per_month=lines_per_month,
        suppliers=paid,
        cum_weights=cum,
        card_suppliers=tuple(p for p in paid if p.sector in CARD_SECTORS),
        expense_names=names,
        expense_codes=codes,
        redactions=tuple(rng.sample(REDACTIONS, rng.choice((1, 2, 3)))),
        redacted_share=0.015 if council.tier == "district" else 0.03,
        card_share=0.15 if layout == "purchase_card" else 0.0,
        float_share=0.04 if layout in ("metropolitan_csv", "county_xlsx") else 0.0,
        na_share=0.01,
    )


# --- a month's payment lines --------------------------------------------------------------------------


class Line(NamedTuple):
    """One payment line and its truth. supplier_id is None for a redacted beneficiary;
    raw_name is the name written (the redaction's spelling when redacted)."""

    payment_date: dt.date
    transaction_number: str
    supplier_id: str | None
    raw_name: str
    vendor_id: str
    company_number: str | None
    vat_number: str | None
    category: tuple[str, str]  # (top level, second level)
    expense_type: str  # as the council writes it
    net_pence: int
    vat_pence: int
    redacted: bool
    card: bool
    merchant_category: str
    purpose: str


def _weekdays(month: str) -> list[dt.date]:
    year, mon = int(month[:4]), int(month[5:])
    days = (dt.date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1))
    return [d for d in days if d.weekday() < 5]


def _lognormal(rng: random.Random, sigma: float = 1.2) -> float:
    """Mean one, heavy right tail: most invoices are modest, a few are very large."""
    return math.exp(sigma * rng.gauss(0.0, 1.0) - sigma * sigma / 2)


class _Month:
    """Generates one council's lines for one month from its own random stream."""

    def __init__(self, p: Profile, month: str, seed: int, scale: float) -> None:
        self.p = p
        self.month = month
        self.rng = random.Random(f"spend:{seed}:{p.council.code}:{month}")
        self.days = _weekdays(month)
        self.mean_pounds = p.annual_spend / (12 * p.lines_per_month)
        self.next_tx = (month_index(month) - 2000 * 12) * 100_000
        self.label = month_label(month)
        wanted = p.lines_per_month * SEASON[int(month[5:])] * (0.95 + 0.1 * self.rng.random()) * scale
        self.wanted = max(MIN_LINES, round(wanted))

    def lines(self) -> list[Line]:
        out: list[Line] = []
        rng, p = self.rng, self.p
        while len(out) < self.wanted:
            self.next_tx += 1
            draw = rng.random()
            if draw < p.redacted_share:
                out.append(self.redacted())
            elif draw < p.redacted_share + p.card_share and p.card_suppliers:
                out.append(self.card())
            elif draw < p.redacted_share + p.card_share + 0.012:
                out.append(self.payment(credit=True))
            elif rng.random() < 0.06:
                out.extend(self.split())
            else:
                out.append(self.payment())
        out.sort(key=lambda line: (line.payment_date, line.transaction_number))
        return out

    def tx(self) -> str:
        return str(self.next_tx)

    def supplier(self) -> PaidSupplier:
        return self.rng.choices(self.p.suppliers, cum_weights=self.p.cum_weights)[0]

    def line(self, s: PaidSupplier, pence: int, date: dt.date, category=None, card=False, merchant="") -> Line:
        rng = self.rng
        category = category or rng.choice(s.categories)
        expense = rng.choice(self.p.expense_names[category])
        purpose = rng.choice((category[1], f"{category[1]} {self.label}", f"Invoice {rng.randrange(10_000, 99_999)}"))
        return Line(date, self.tx(), s.supplier_id, s.raw_name, s.vendor_id, s.company_number, s.vat_number,
                    category, expense, pence, round(pence * s.vat_rate), False, card, merchant, purpose)  # fmt: skip

    def pounds(self, s: PaidSupplier) -> int:
        amount = self.mean_pounds * s.size * _lognormal(self.rng)
        if amount < 500:  # the file is payments over £500: a small invoice is lifted over it
            amount += 500
        return round(amount * 100)

    def payment(self, credit: bool = False) -> Line:
        s = self.supplier()
        pence = self.pounds(s)
        if credit:  # a credit note: a part of an earlier invoice back
            pence = -max(5_000, round(pence * self.rng.uniform(0.05, 0.6)))
        return self.line(s, pence, self.rng.choice(self.days))

    def split(self) -> list[Line]:
        """One invoice over several lines (expense codes or cost centres): parts may be under £500."""
        s, rng = self.supplier(), self.rng
        total, date = max(self.pounds(s), 80_000), rng.choice(self.days)
        shares = [rng.uniform(0.1, 1.0) for _ in range(rng.choice((2, 2, 3, 4)))]
        parts = [round(total * x / sum(shares)) for x in shares]
        parts[-1] = total - sum(parts[:-1])
        first = self.line(s, parts[0], date)
        return [first] + [self.line(s, part, date)._replace(transaction_number=first.transaction_number)
                          for part in parts[1:]]  # fmt: skip

    def card(self) -> Line:
        rng = self.rng
        s = rng.choice(self.p.card_suppliers)
        pence = round(math.exp(rng.uniform(math.log(15), math.log(2_500))) * 100)
        merchant = rng.choice(MERCHANT_CATEGORIES[s.sector])
        return self.line(s, pence, rng.choice(self.days), card=True, merchant=merchant)._replace(vat_pence=0)

    def redacted(self) -> Line:
        rng, p = self.rng, self.p
        pence = round(max(500, self.mean_pounds * 0.15 * _lognormal(rng, 0.8)) * 100)
        category = p.redacted_category
        return Line(rng.choice(self.days), self.tx(), None, rng.choice(p.redactions), f"{900_000 + rng.randrange(99_999)}",
                    None, None, category, rng.choice(p.expense_names[category]), pence, 0, True, False, "", category[1])  # fmt: skip


def month_lines(code_or_name: str, month: str, *, seed: int = SEED, scale: float = 1.0) -> list[Line]:
    """One council's payment lines for one month, in date order."""
    council = catalogue.find_council(code_or_name)
    month_index(month)
    return _Month(profile(council.code, seed), month, seed, scale).lines()


# --- periods ------------------------------------------------------------------------------------------


def period_of(p: Profile, month: str) -> str:
    """The period whose file holds `month`: the month, or its calendar quarter."""
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}" if p.quarterly else month


def period_months(period: str) -> list[str]:
    if "-Q" not in period:
        return [period]
    year, quarter = period.split("-Q")
    first = (int(quarter) - 1) * 3 + 1
    return [f"{year}-{m:02d}" for m in range(first, first + 3)]


def shift_period(period: str, n: int) -> str:
    """The period n periods on: '2026-01', -1 -> '2025-12'; '2026-Q1', -1 -> '2025-Q4'."""
    months = period_months(period)
    year, mon = divmod(month_index(months[0]) + n * len(months), 12)
    return f"{year:04d}-Q{mon // 3 + 1}" if len(months) == 3 else f"{year:04d}-{mon + 1:02d}"


def period_label(period: str) -> str:
    months = period_months(period)
    return (
        month_label(months[0])
        if len(months) == 1
        else f"{month_label(months[0]).split()[0]} to {month_label(months[-1])}"
    )


def spend_path(out_dir: Path | str, council: Council, period: str, seed: int = SEED) -> Path:
    """<out_dir>/<short_name>/spend-<period>.<csv|xlsx>: what a spend_source template serves."""
    return Path(out_dir) / council.short_name / f"spend-{period}.{profile(council.code, seed).extension}"


def period_lines(code: str, period: str, *, seed: int = SEED, scale: float = 1.0) -> list[Line]:
    return [line for month in period_months(period) for line in month_lines(code, month, seed=seed, scale=scale)]


# --- layouts: lines -> a sheet of cells ------------------------------------------------------------------

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NA = "#N/A"


@dataclass
class Sheet:
    """A spend file before it is bytes: title rows, the header, one row per line, then
    what councils put after the lines (a blank row, a total)."""

    layout: str
    header: list[str]
    rows: list[list]
    amount_column: int  # the net amount's column
    date_column: int
    titles: list[list] = field(default_factory=list)
    trailer: list[list] = field(default_factory=list)
    file_format: str = "csv"
    encoding: str = "utf-8"
    bom: bool = False
    line_end: str = "\n"
    delimiter: str = ","
    habits: Counter = field(default_factory=Counter)

    @property
    def first_row(self) -> int:
        """The spreadsheet row of the first line (title rows and the header above it)."""
        return len(self.titles) + 2

    def to_bytes(self) -> bytes:
        if self.file_format == "xlsx":
            return _xlsx_bytes(self)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator=self.line_end)
        writer.writerows([*self.titles, self.header, *self.rows, *self.trailer])
        data = buffer.getvalue().encode(self.encoding)
        return b"\xef\xbb\xbf" + data if self.bom else data


def _xlsx_bytes(sheet: Sheet) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)  # a county's year is 100,000 rows: write-only is 3x faster
    notes = wb.create_sheet("Notes")
    notes.append(["Payments over £500 are published under the Local Government Transparency Code 2015."])
    notes.append(["Personal data of individuals is redacted."])
    ws = wb.create_sheet("Spend")
    for row in [*sheet.titles, sheet.header, *sheet.rows, *sheet.trailer]:
        ws.append(row)
    return deterministic_xlsx(wb)


def _service(category: tuple[str, str]) -> tuple[str, str]:
    if category[1] == "Children's Placements":
        return "People", "Children's Services"
    return DIRECTORATES.get(category[0], ("Resources", "Corporate Services"))


def _prefix(council: Council) -> str:
    return "".join(w[0] for w in council.short_name.split("-") if w not in ("and", "on", "under")).upper()


class _Cells:
    """Writes amounts and optional cells the way one council's system does, counting habits."""

    def __init__(self, p: Profile, period: str, seed: int, habits: Counter) -> None:
        self.p = p
        self.rng = random.Random(f"spend-cells:{seed}:{p.council.code}:{period}")
        self.habits = habits

    def na(self, text: str | None) -> str | None:
        """'#N/A' where a lookup failed, in a column nothing depends on."""
        if self.rng.random() < self.p.na_share:
            self.habits["excel_error"] += 1
            return NA
        return text

    def float_tail(self, pence: int) -> float:
        """The amount as a float, sometimes with a binary float's tail (7956.420000000001)."""
        if self.rng.random() < self.p.float_share:
            self.habits["float"] += 1
            return _with_tail(pence)
        return pence / 100


def _with_tail(pence: int) -> float:
    """A one in the 16th significant digit: what a sum of floats leaves, and what survives
    both a CSV export and openpyxl's 16-digit cells (a tail under a millionth of a pound)."""
    pounds, pennies = divmod(abs(pence), 100)
    for digits in (16, 15):  # 16 unless the one is under half a float step there (953.45)
        value = float(f"{pounds}.{pennies:02d}{'0' * (digits - len(str(pounds)) - 3)}1")
        if value != abs(pence) / 100:
            break
    return -value if pence < 0 else value


def _plain(pence: int) -> str:
    return f"{pence / 100:.2f}"


def _trimmed(value: float) -> str:
    """As a spreadsheet exports a General cell: 1250, 560.5, 7956.420000000001."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _formatted(pence: int) -> str:
    money = f"£{abs(pence) / 100:,.2f}"
    return f"({money})" if pence < 0 else money


def _metropolitan(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    c = p.council
    header = ["Body Name", "Body", "Directorate", "Service Area", "Expenses Type", "Date", "Transaction No.",
              "Amount (Â£)", "Supplier Name", "Supplier ID"]  # fmt: skip
    rows = [
        [c.name, c.code, *_service(x.category), x.expense_type, f"{x.payment_date:%d/%m/%Y}", x.transaction_number,
         _trimmed(cells.float_tail(x.net_pence)), x.raw_name, cells.na(x.vendor_id)]
        for x in lines
    ]  # fmt: skip
    return Sheet("metropolitan_csv", header, rows, 7, 5, bom=True, line_end="\r\n")


def _county(p: Profile, lines: list[Line], cells: _Cells, period: str) -> Sheet:
    c = p.council
    # Worcestershire's 'Reference' is its invoice number (its override); others say so.
    invoice = "Reference" if header_map(c.code).field_for("Reference")[0] == "invoice_number" else "Invoice Number"
    header = ["Organisation Name", "Organisation Code", "Directorate", "Expenditure Category", "Expense Code",
              "Payment Date", "Payment Number", invoice, "Supplier Name", "Supplier Number", "Company Number",
              "VAT Registration Number", "Net Amount", "Irrecoverable VAT"]  # fmt: skip
    rows = []
    for x in lines:
        serial = cells.rng.random() < 0.5  # a date cell left in General format is its serial number
        date = (x.payment_date - EXCEL_EPOCH).days if serial else dt.datetime.combine(x.payment_date, dt.time())
        company = x.company_number
        if company and company.replace(".0", "").isdigit() and company != company.zfill(8):
            company = int(float(company))  # Excel kept it as a number: the leading zeros are gone
        rows.append(
            [c.name, c.code, _service(x.category)[0], x.expense_type, int(p.expense_codes[x.expense_type]), date,
             int(x.transaction_number), f"INV-{x.transaction_number[-6:]}", x.raw_name, int(x.vendor_id), company,
             cells.na(x.vat_number), cells.float_tail(x.net_pence), 0 if x.vat_pence else None]
        )  # fmt: skip
    titles = [[c.name], [f"Expenditure over £500: {period_label(period)}"], []]
    return Sheet("county_xlsx", header, rows, 12, 5, titles=titles, file_format="xlsx")


def _district(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    header = ["Payment Date", "Transaction Ref", "Supplier", "Department", "Expense Type", "Purpose",
              "Net Amount (£)", "VAT", "Gross Amount (£)"]  # fmt: skip
    prefix = _prefix(p.council)
    rows = [
        [f"{x.payment_date.day:02d}-{MONTH_ABBR[x.payment_date.month - 1]}-{x.payment_date:%y}",
         f"{prefix}-{x.transaction_number}", x.raw_name, _service(x.category)[0], x.expense_type, cells.na(x.purpose),
         _plain(x.net_pence), _plain(x.vat_pence), _plain(x.net_pence + x.vat_pence)]
        for x in lines
    ]  # fmt: skip
    return Sheet("district_cp1252", header, rows, 6, 0, encoding="cp1252", line_end="\r\n")


def _card(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    header = ["Body", "Transaction Date", "Transaction ID", "Supplier Name", "Merchant Category", "Amount",
              "Description", "Directorate", "Expense Type", "Card Transaction"]  # fmt: skip
    rows = [
        [p.council.name, f"{x.payment_date.isoformat()} 00:00:00", x.transaction_number, x.raw_name,
         cells.na(x.merchant_category) if x.card else x.merchant_category, _plain(x.net_pence), x.purpose,
         _service(x.category)[0], x.expense_type, "Y" if x.card else "N"]
        for x in lines
    ]  # fmt: skip
    return Sheet("purchase_card", header, rows, 5, 1)


def _formatted_sheet(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    header = ["Date Paid", "Payment Reference", "Beneficiary", "Service", "Expenditure Type", "Amount"]
    prefix = _prefix(p.council)
    rows = [
        [f"{x.payment_date:%d/%m/%Y}", f"{prefix}-{x.transaction_number}", x.raw_name, cells.na(_service(x.category)[1]),
         x.expense_type, _formatted(x.net_pence)]
        for x in lines
    ]  # fmt: skip
    sheet = Sheet("formatted_csv", header, rows, 5, 0)
    sheet.trailer = [[""] * 6, ["Total", "", "", "", "", _formatted(sum(x.net_pence for x in lines))]]
    return sheet


def _lga(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    c = p.council
    header = ["Body Name", "Body", "Service Area Categorisation", "Service Division Categorisation", "Expenses Type",
              "Expenses Code", "Narrative", "Date", "Transaction Number", "Amount", "Supplier Name", "Supplier ID",
              "VAT Registration Number", "Company Number"]  # fmt: skip
    rows = []
    for x in lines:
        directorate, service = _service(x.category)
        rows.append(
            [c.name, c.code, service, directorate, x.expense_type, p.expense_codes[x.expense_type], x.purpose,
             x.payment_date.isoformat(), x.transaction_number, _plain(x.net_pence), x.raw_name, cells.na(x.vendor_id),
             x.vat_number or "", x.company_number or ""]
        )  # fmt: skip
    return Sheet("lga_template", header, rows, 9, 7)


#: Layouts that say which council the file is from (a Body column).
BODY_LAYOUTS = frozenset({"metropolitan_csv", "county_xlsx", "purchase_card", "lga_template"})


def render(p: Profile, period: str, lines: list[Line], seed: int = SEED) -> Sheet:
    habits = Counter()
    cells = _Cells(p, period, seed, habits)
    if p.layout == "county_xlsx":
        sheet = _county(p, lines, cells, period)
    else:
        make = {"metropolitan_csv": _metropolitan, "district_cp1252": _district, "purchase_card": _card,
                "formatted_csv": _formatted_sheet, "lga_template": _lga}[p.layout]  # fmt: skip
        sheet = make(p, lines, cells)
    sheet.habits = habits + _line_habits(lines)
    return sheet


def _line_habits(lines: list[Line]) -> Counter:
    numbers = Counter(x.transaction_number for x in lines)
    return Counter(
        {
            "negative": sum(x.net_pence < 0 for x in lines),
            "redacted": sum(x.redacted for x in lines),
            "card": sum(x.card for x in lines),
            "split_transactions": sum(n > 1 for n in numbers.values()),
            "split_parts_under_500": sum(
                0 <= x.net_pence < 50_000 and numbers[x.transaction_number] > 1 for x in lines
            ),
        }
    )


# --- faults -------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """One council's file for one period on its way to bytes; faults change it."""

    p: Profile
    period: str
    seed: int
    scale: float
    lines: list[Line]
    body: str  # the council whose lines these are (another one's, for other_council)
    sheet: Sheet | None = None
    content: bytes | None = None  # bytes that replace the file entirely

    def ensure_sheet(self) -> Sheet:
        if self.sheet is None:
            self.sheet = render(profile(self.body, self.seed), self.period, self.lines, self.seed)
        return self.sheet

    def render(self) -> bytes:
        return self.content if self.content is not None else self.ensure_sheet().to_bytes()


@dataclass(frozen=True)
class Fault:
    """A mistake a real spend file can have.

    outcome: 'rejected' (the file fails a check) or 'warning' (loaded, the council told).
    checks: the checks expected to catch it. caught_by 'reader': read_spend's findings
    (readable, columns, amounts, dates); 'validator': the GX suite of issue 15 item 3
    (period, body, no_duplicates, usual_total, under_500: names for that suite to use),
    the file itself reads cleanly. stage orders them: lines, then sheet, then bytes.
    """

    name: str
    description: str
    outcome: str
    checks: tuple[str, ...]
    caught_by: str
    stage: int
    apply: Callable[[Draft], None]


def _empty(d: Draft) -> None:
    d.content = b""


def _header_only(d: Draft) -> None:
    sheet = d.ensure_sheet()
    sheet.rows, sheet.trailer = [], []
    d.lines = []


def _html_page(d: Draft) -> None:
    d.content = LOGIN_PAGE.encode("utf-8")


def _zip_named_csv(d: Draft) -> None:
    inner = d.ensure_sheet().to_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(f"spend-{d.period}.{d.p.extension}", date_time=(2026, 1, 1, 0, 0, 0))
        zf.writestr(info, inner)
    d.content = buffer.getvalue()


def _drop_column(sheet: Sheet, index: int) -> None:
    for row in [sheet.header, *sheet.rows, *sheet.trailer]:
        if index < len(row):
            del row[index]


def _missing_amount_column(d: Draft) -> None:
    sheet = d.ensure_sheet()
    _drop_column(sheet, sheet.amount_column)


def _amounts_as_text(d: Draft) -> None:
    sheet = d.ensure_sheet()
    for n, i in enumerate(sorted({0, len(sheet.rows) // 2, len(sheet.rows) - 1})):
        sheet.rows[i][sheet.amount_column] = AMOUNT_WORDS[n]


def _month_first_dates(d: Draft) -> None:
    """Dates written month/day/year; the last line moved to a day above 12, to prove it."""
    last = _weekdays(d.lines[-1].payment_date.strftime("%Y-%m"))[-1]
    d.lines[-1] = d.lines[-1]._replace(payment_date=last)
    sheet = d.ensure_sheet()
    for row, line in zip(sheet.rows, d.lines, strict=True):
        row[sheet.date_column] = f"{line.payment_date:%m/%d/%Y}"


def _dates_outside_period(d: Draft) -> None:
    after = _weekdays(period_months(shift_period(d.period, 1))[0])[0]
    for i in range(1, len(d.lines), max(1, len(d.lines) // 3))[:3]:
        d.lines[i] = d.lines[i]._replace(payment_date=after)


def other_council_for(code: str) -> str:
    """The council whose file is served by mistake: the next one (by code) whose layout
    names the body, so the file says whose it is."""
    codes = sorted(catalogue.councils())
    at = codes.index(code)
    return next(
        c for c in codes[at + 1 :] + codes[:at] if LAYOUT_OF[catalogue.councils()[c].short_name] in BODY_LAYOUTS
    )


def _other_council(d: Draft) -> None:
    d.body = other_council_for(d.p.council.code)
    d.lines = period_lines(d.body, d.period, seed=d.seed, scale=d.scale)


def _repeat_previous_period(d: Draft) -> None:
    before = shift_period(d.period, -1)
    d.lines = period_lines(d.p.council.code, before, seed=d.seed, scale=d.scale)
    d.sheet = render(d.p, before, d.lines, d.seed)
    d.content = d.sheet.to_bytes()  # the same bytes again


def _duplicate_lines(d: Draft) -> None:
    d.lines = d.lines + d.lines[:3]
    d.lines.sort(key=lambda x: (x.payment_date, x.transaction_number))


def _amounts_in_pence(d: Draft) -> None:
    d.lines = [x._replace(net_pence=x.net_pence * 100, vat_pence=x.vat_pence * 100) for x in d.lines]


def _lone_small_lines(d: Draft) -> None:
    """Five payments under £500 with transaction numbers of their own."""
    rng = random.Random(f"spend-lone:{d.seed}:{d.p.council.code}:{d.period}")
    extra = []
    for n in range(5):
        base = rng.choice([x for x in d.lines if not x.redacted and not x.card])
        extra.append(base._replace(transaction_number=f"{base.transaction_number}9{n}", net_pence=rng.randrange(5_000, 49_900), vat_pence=0))  # fmt: skip
    d.lines = sorted(d.lines + extra, key=lambda x: (x.payment_date, x.transaction_number))


def _semicolon_delimiter(d: Draft) -> None:
    sheet = d.ensure_sheet()
    if sheet.file_format == "xlsx":  # a workbook re-saved as CSV in a decimal-comma locale
        sheet.file_format = "csv"
        sheet.rows = [[_text_cell(c) for c in row] for row in sheet.rows]
    sheet.delimiter = ";"


def _text_cell(cell) -> str:
    if isinstance(cell, dt.datetime):
        return f"{cell:%d/%m/%Y}"
    return "" if cell is None else str(cell)


_F = Fault
FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        _F("empty", "a 0-byte file", "rejected", ("readable",), "reader", 2, _empty),
        _F("header_only", "the header and no payment lines", "rejected", ("readable",), "reader", 1, _header_only),
        _F("html_page", "a sign-in web page served with status 200", "rejected", ("readable",), "reader", 2, _html_page),
        _F("zip_named_csv", "the file zipped, under the spend file's own name", "rejected", ("readable",), "reader", 2, _zip_named_csv),
        _F("semicolon_delimiter", "columns separated by ';' (Excel in a decimal-comma locale)", "rejected", ("readable",), "reader", 1, _semicolon_delimiter),
        _F("missing_amount_column", "the net amount column left out", "rejected", ("columns",), "reader", 1, _missing_amount_column),
        _F("amounts_as_text", "three amounts written as words ('TBC', 'see attached', 'five hundred')", "rejected", ("amounts",), "reader", 1, _amounts_as_text),
        _F("month_first_dates", "dates written month first (02/27/2026)", "rejected", ("dates",), "reader", 1, _month_first_dates),
        _F("dates_outside_period", "three lines dated in the next period", "rejected", ("period",), "validator", 0, _dates_outside_period),
        _F("other_council", "another council's file served at this council's address", "rejected", ("body",), "validator", 0, _other_council),
        _F("repeat_previous_period", "the previous period's file published again", "rejected", ("period",), "validator", 0, _repeat_previous_period),
        _F("duplicate_lines", "three lines repeated exactly", "rejected", ("no_duplicates",), "validator", 0, _duplicate_lines),
        _F("amounts_in_pence", "every amount exported in pence: a total 100 times the usual", "warning", ("usual_total",), "validator", 0, _amounts_in_pence),
        _F("lone_small_lines", "five payments under £500 that are no part of a larger transaction", "warning", ("under_500",), "validator", 0, _lone_small_lines),
    )
}  # fmt: skip


# --- the truth, and writing many files ----------------------------------------------------------------


@dataclass(frozen=True)
class SpendFile:
    """One file written, and the truth about it. `lines` are the payment lines it holds
    (none when a fault left no table), in file order from spreadsheet row `first_row`."""

    council_code: str
    period: str
    path: Path
    layout: str
    lines: tuple[Line, ...]
    first_row: int
    habits: Counter
    faults: tuple[str, ...] = ()
    body: str = ""  # whose lines: the council itself unless another council's file was served

    @property
    def net_pence(self) -> int:
        return sum(x.net_pence for x in self.lines)

    @property
    def redacted(self) -> int:
        return sum(x.redacted for x in self.lines)


@dataclass
class SpendSample:
    files: list[SpendFile]
    #: council code -> {expense type as the council writes it: (top level, second level)}
    expense_types: dict[str, dict[str, tuple[str, str]]]
    seed: int

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]

    @property
    def line_count(self) -> int:
        return sum(len(f.lines) for f in self.files)

    def raw_names(self) -> dict[tuple[str, str], str]:
        """(council, raw name as written) -> supplier id, over the clean files' lines."""
        return {
            (f.body, x.raw_name): x.supplier_id for f in self.files if not f.faults for x in f.lines if x.supplier_id
        }

    def truth_rows(self) -> Iterator[dict]:
        """One dict per line, for a truth CSV beside the files."""
        for f in self.files:
            for row, x in enumerate(f.lines, start=f.first_row):
                yield {
                    "council_code": f.body, "period": f.period, "file": f.path.name, "row": row,
                    "transaction_number": x.transaction_number, "payment_date": x.payment_date.isoformat(),
                    "supplier_id": x.supplier_id or "", "raw_name": x.raw_name, "category_top": x.category[0],
                    "category_second": x.category[1], "expense_type": x.expense_type,
                    "net_amount": f"{x.net_pence / 100:.2f}", "redacted": x.redacted, "card": x.card,
                    "faults": "|".join(f.faults),
                }  # fmt: skip

    def write_truth(self, path: Path | str) -> Path:
        path = Path(path)
        rows = self.truth_rows()
        first = next(rows, None)
        with open(path, "w", newline="", encoding="utf-8") as out:
            if first:
                writer = csv.DictWriter(out, fieldnames=list(first))
                writer.writeheader()
                writer.writerow(first)
                writer.writerows(rows)
        return path


def expense_types(code: str, seed: int = SEED) -> dict[str, tuple[str, str]]:
    """What one council calls each category: expense type as written -> (top, second)."""
    return {name: category for category, names in profile(code, seed).expense_names.items() for name in names}


def build(
    code: str, period: str, faults: Iterable[str] = (), *, seed: int = SEED, scale: float = 1.0
) -> tuple[bytes, Draft]:
    """One council's file for one period: its bytes and the draft (lines, sheet) behind them."""
    p = profile(code, seed)
    names = list(faults)
    unknown = [f for f in names if f not in FAULTS]
    if unknown:
        raise KeyError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    draft = Draft(p, period, seed, scale, period_lines(code, period, seed=seed, scale=scale), code)
    for name in sorted(names, key=lambda n: FAULTS[n].stage):
        FAULTS[name].apply(draft)
    return draft.render(), draft


def write(
    out_dir: Path | str,
    months: Iterable[str],
    councils: Iterable[str] | None = None,
    *,
    seed: int = SEED,
    faults: dict[str, list[str]] | None = None,
    scale: float = 1.0,
) -> SpendSample:
    """Write each council's spend file for every period the months touch (a quarterly
    council's whole quarter) and return the files with their truth.

    councils: GSS codes or short names (default all 33). faults: council -> fault names,
    applied to that council's last period. scale: a share of the lines (0.02 for tests).
    """
    months = sorted(set(months), key=month_index)
    chosen = [catalogue.find_council(c) for c in councils] if councils else list(catalogue.councils().values())
    fault_map = {catalogue.find_council(k).code: list(v) for k, v in (faults or {}).items()}
    missing = set(fault_map) - {c.code for c in chosen}
    if missing:
        raise ValueError(f"faults given for {', '.join(sorted(missing))}, not among the councils written")
    files = []
    for council in chosen:
        p = profile(council.code, seed)
        periods = list(dict.fromkeys(period_of(p, m) for m in months))
        for period in periods:
            names = fault_map.get(council.code, []) if period == periods[-1] else []
            data, draft = build(council.code, period, names, seed=seed, scale=scale)
            path = spend_path(out_dir, council, period, seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            sheet = draft.sheet if draft.content is not None else draft.ensure_sheet()
            kept = tuple(draft.lines) if _holds_lines(names) else ()
            files.append(
                SpendFile(council.code, period, path, p.layout, kept, sheet.first_row if sheet else 2,
                          sheet.habits if sheet else _line_habits(list(kept)), tuple(names), draft.body)
            )  # fmt: skip
    return SpendSample(files, {c.code: expense_types(c.code, seed) for c in chosen}, seed)


def _holds_lines(names: list[str]) -> bool:
    """False when a fault left no table of lines to read."""
    return not set(names) & {"empty", "header_only", "html_page", "zip_named_csv"}


# --- measuring ----------------------------------------------------------------------------------------


def expected_lines_per_year(seed: int = SEED) -> int:
    """The model's payment lines a year over the 33 councils (seasons average to ~1)."""
    return round(sum(profile(code, seed).lines_per_month * sum(SEASON.values()) for code in catalogue.councils()))


def measure_year(out_dir: Path | str, year: int = 2025, seed: int = SEED) -> str:
    """Write a calendar year for the 33 councils and say how long it took and what it holds."""
    started = perf_counter()
    sample = write(out_dir, months_between(f"{year}-01", f"{year}-12"), seed=seed)
    seconds = perf_counter() - started
    size = sum(p.stat().st_size for p in sample.paths)
    tri = ("E10000028", "E06000051", "E10000034")
    tri_spend = sum(f.net_pence for f in sample.files if f.council_code in tri) / 100
    return (
        f"{len(sample.files)} files, {sample.line_count:,} lines, {size / 2**20:.0f} MB in {seconds:.1f} s; "
        f"Staffordshire + Shropshire + Worcestershire spend £{tri_spend / 1e6:,.0f}m"
    )


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(measure_year(sys.argv[1] if len(sys.argv) > 1 else tmp))
