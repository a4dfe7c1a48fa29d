"""How each council publishes its spend: layout, period, size, the suppliers it pays and
what it calls what it buys. A profile is a pure function of (council, seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from councilbench.core import catalogue
from councilbench.core.catalogue import Council
from councilbench.dev import sample_suppliers
from councilbench.dev.sample_returns import area
from councilbench.dev.sample_spend.expenses import council_expenses
from councilbench.spend.values import is_redacted

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


# --- what each kind of supplier is paid for ----------------------------------------------------

#: A supplier's sector -> what it is paid for: (the first word found in its name, ProClass
#: level-2 codes of proclass_categories.csv).
SECTOR_CATEGORIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "care": (("", ("110700", "110500", "110300", "120600", "120400", "111000")),),
    "construction": (("", ("160200", "160400", "230300", "160500")),),
    "waste": (("", ("370600", "370500", "370300")),),
    "it": (("", ("270600", "270200", "270700", "270400")),),
    "consultancy": (("Legal", ("280400", "280100")), ("Recruitment", ("260100",)), ("Surveyors", ("170100",)), ("", ("170600",))),
    "utilities": (("Water", ("350600",)), ("Telecom", ("270700",)), ("", ("350200", "350400"))),
    "fuel": (("", ("360300", "360400")),),
    "stationery": (("Furniture", ("200300",)), ("", ("310400", "310100"))),
    "charity": (("", ("330500",)),),
    "public": (("College", ("180800",)), ("Academy", ("180800",)), ("Fire", ("990300",)), ("", ("220400",))),
    "council": (("", ("990300",)),),
    "sole_trader": (
        ("Landscapes", ("240200",)), ("Tree", ("240400",)), ("Cleaning", ("140200",)), ("Locksmiths", ("200800",)),
        ("Security", ("200800",)), ("Taxis", ("320500",)), ("Removals", ("200700",)), ("Catering", ("130300",)),
        ("Signs", ("340300",)), ("Pest", ("190500",)), ("", ("160400", "200100")),
    ),
}  # fmt: skip
#: What a redacted line paid for (payments to people): housing support in a district,
#: direct payments elsewhere.
REDACTED_CODE = {"district": "250100"}
REDACTED_CODE_OTHERWISE = "110200"
#: Every code a council can pay for, in a fixed order (the order names are drawn in).
ALL_CODES = tuple(
    dict.fromkeys(
        [code for rows in SECTOR_CATEGORIES.values() for _, codes in rows for code in codes]
        + [*REDACTED_CODE.values(), REDACTED_CODE_OTHERWISE]
    )
)
#: How big a sector's invoices are next to the council's average line, before normalising.
SECTOR_SIZE = {"care": 1.0, "construction": 2.5, "waste": 3.0, "it": 1.2, "consultancy": 0.8, "utilities": 1.5,
               "fuel": 0.7, "stationery": 0.3, "charity": 0.8, "public": 3.0, "council": 4.0, "sole_trader": 0.25}  # fmt: skip
#: Districts do not commission social care or schools; counties do not collect waste.
TIER_SECTOR_WEIGHT = {"district": {"care": 0.05, "public": 0.3}, "county": {"waste": 0.5}}
ZERO_VAT_SECTORS = frozenset({"care", "charity", "public", "council"})
CARD_SECTORS = frozenset({"stationery", "it", "fuel", "sole_trader"})
MERCHANT_CATEGORIES = {"stationery": ("Stationery Stores", "Office Supplies"), "it": ("Computer Software Stores", "Computer Network Services"),
                       "fuel": ("Service Stations",), "sole_trader": ("Hardware Stores", "Contractors", "Miscellaneous Retail")}  # fmt: skip
#: How councils write a beneficiary they withhold (every one is_redacted).
REDACTIONS = (
    "REDACTED PERSONAL DATA", "Redacted under DP Act", "Personal Information", "Redacted - Personal Data", "REDACTED",
    "Personal Data Redacted", "Data Protection Act", "Withheld - Personal Data", "Name Removed", "Private Individual",
    "GDPR Redacted", "Not disclosed - personal data", "Individual", "Personal Details Withheld",
)  # fmt: skip


# --- a council's profile: suppliers, names, habits ---------------------------------------------------


class PaidSupplier(NamedTuple):
    supplier_id: str
    raw_name: str
    vendor_id: str
    company_number: str | None
    vat_number: str | None
    sector: str
    codes: tuple[str, ...]  # the ProClass level-2 codes it is paid for
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
    expense_names: dict[str, tuple[str, ...]]  # ProClass code -> the names this council writes for it
    generic_names: tuple[str, ...]  # types that say nothing of what was bought (unclassifiable)
    generic_share: float  # the share of lines written with a generic type
    expense_codes: dict[str, str]  # expense type as written -> the council's ledger code
    redactions: tuple[str, ...]
    redacted_share: float
    card_share: float
    float_share: float  # amounts written with a binary float's tail
    na_share: float  # '#N/A' in an optional text column

    @property
    def extension(self) -> str:
        return "xlsx" if self.layout == "county_xlsx" else "csv"

    @property
    def redacted_code(self) -> str:
        return REDACTED_CODE.get(self.council.tier, REDACTED_CODE_OTHERWISE)


def _sector_codes(sector: str, name: str) -> tuple[str, ...]:
    for word, codes in SECTOR_CATEGORIES[sector]:
        if word in name:
            return codes
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
        codes = _sector_codes(s.sector, s.trading_name or s.name)
        vat_rate = 0.0 if s.sector in ZERO_VAT_SECTORS or not s.vat_number else 0.2
        vendor = f"{100_000 + 7 * n + rng.randrange(7)}"
        paid.append(PaidSupplier(sid, record.raw_name, vendor, record.company_number, record.vat_number, s.sector,
                                 codes, SECTOR_SIZE[s.sector], vat_rate))  # fmt: skip
        weights.append(rng.paretovariate(1.2) * tier_weight.get(s.sector, 1.0))
    mean_size = sum(w * p.size for w, p in zip(weights, paid, strict=True)) / sum(weights)
    paid = [p._replace(size=p.size / mean_size) for p in paid]  # the weighted mean line is the average
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    return tuple(paid), tuple(cum)


@lru_cache(maxsize=128)
def profile(code: str, seed: int = SEED) -> Profile:
    """How one council publishes: a pure function of (council, seed)."""
    council = catalogue.councils()[code]
    rng = random.Random(f"spend-profile:{seed}:{code}")
    lines_per_month = area(code).population * LINES_PER_RESIDENT[council.tier] / 12
    paid, cum = _paid_suppliers(council, rng, lines_per_month, seed)
    names, generics, ledger = council_expenses(code, ALL_CODES, rng)
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
        generic_names=generics,
        # some councils write a generic type on a line in twenty, some on one in four
        generic_share=rng.uniform(0.04, 0.25),
        expense_codes=ledger,
        redactions=tuple(rng.sample(REDACTIONS, rng.choice((1, 2, 3)))),
        redacted_share=0.015 if council.tier == "district" else 0.03,
        card_share=0.15 if layout == "purchase_card" else 0.0,
        float_share=0.04 if layout in ("metropolitan_csv", "county_xlsx") else 0.0,
        na_share=0.01,
    )
