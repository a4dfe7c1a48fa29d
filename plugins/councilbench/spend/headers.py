"""A council's own spend-file headers -> the canonical fields of a payment line.

Every council writes its "spend over £500" file in its own layout: 'Amount (£)',
'Net Amount', 'Value'; 'Supplier Name', 'Beneficiary', 'Vendor'. The header-synonym seed
(dbt_project/seeds/spend_header_synonyms.csv) says which written header means which
field, and the override seed (spend_header_overrides.csv) says where one council uses a
header differently from everyone else. Both are compared after `header_key`, so case,
spacing, punctuation and a mangled pound sign never matter.

Besides the canonical fields there are helper fields: columns worth recognising, so a
header row is found and nothing is mistaken for something else, that are not loaded
themselves. Some stand in for a canonical field a file lacks (FALLBACKS: a file with only
an invoice number gives that as its transaction number); a gross amount is recognised so
that net is taken deliberately when both are present, and never taken for net.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from councilbench.core import settings

#: The fields of a canonical payment line (Local Government Transparency Code 2015).
CANONICAL_FIELDS = (
    "body",
    "payment_date",
    "transaction_number",
    "supplier_name",
    "supplier_id",
    "vat_registration",
    "company_number",
    "net_amount",
    "irrecoverable_vat",
    "expense_type",
    "expense_code",
    "service_area",
    "purpose",
    "merchant_category",
    "card_transaction",
)
#: Without these a line cannot be read at all: when, who, how much.
REQUIRED_FIELDS = ("payment_date", "supplier_name", "net_amount")
#: Recognised, not loaded as such (see FALLBACKS and the reader's net/gross rule).
HELPER_FIELDS = (
    "body_code",
    "invoice_number",
    "directorate",
    "cost_centre",
    "merchant_category_code",
    "payment_method",
    "gross_amount",
    "vat_amount",
)
#: An override may map a header to `ignore`: a column a council uses for something else.
IGNORE = "ignore"
KNOWN_FIELDS = frozenset(CANONICAL_FIELDS + HELPER_FIELDS + (IGNORE,))
#: A canonical field the file lacks, read from a helper column instead (first found wins).
FALLBACKS = {
    "body": ("body_code",),
    "transaction_number": ("invoice_number",),
    "service_area": ("directorate", "cost_centre"),
    "merchant_category": ("merchant_category_code",),
    "card_transaction": ("payment_method",),
}
#: A row naming this many different known fields is the header row.
HEADER_MIN_FIELDS = 3

SYNONYM_SEED = "spend_header_synonyms.csv"
OVERRIDE_SEED = "spend_header_overrides.csv"

# '£' as written, as UTF-8 read as Windows-1252 ('Â£', lower-cased 'â£'), twice over
# ('Ã\u201aÂ£'), or as a Python escape that reached the file ('\xa3').
_POUND = re.compile("(?:\\\\xa3|[âãÂÃ\u201a]*£)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def header_key(cell: object) -> str:
    """'  Amount (Â£) ' -> 'amount'; 'Transaction No.' -> 'transaction no': what a header
    is compared by. Case, punctuation, spacing and the pound sign carry no meaning."""
    text = str(cell if cell is not None else "").replace("\ufeff", "").lower()
    text = _POUND.sub(" ", text)
    return _NOT_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Mapping:
    """Which columns of one file hold which fields."""

    columns: dict[str, int]  # field -> column index (canonical and helper fields)
    fallbacks: dict[str, str] = field(default_factory=dict)  # canonical field -> helper used
    conflicts: dict[str, list[int]] = field(default_factory=dict)  # field -> 2+ column indexes
    unknown: list[int] = field(default_factory=list)  # columns with a header no seed knows
    ignored: list[int] = field(default_factory=list)  # columns an override says to ignore
    overridden: list[int] = field(default_factory=list)  # columns read by a council override

    @property
    def missing_required(self) -> list[str]:
        return [f for f in REQUIRED_FIELDS if f not in self.columns and f not in self.conflicts]

    def index(self, name: str) -> int | None:
        """The column a canonical field is read from, directly or through its fallback."""
        if name in self.columns:
            return self.columns[name]
        helper = self.fallbacks.get(name)
        return self.columns.get(helper) if helper else None


@dataclass(frozen=True)
class HeaderMap:
    """The synonym seed and one council's overrides, as header key -> field."""

    synonyms: dict[str, str]
    overrides: dict[str, str] = field(default_factory=dict)

    def field_for(self, cell: object) -> tuple[str | None, bool]:
        """(field or None, whether a council override decided it)."""
        key = header_key(cell)
        if key in self.overrides:
            return self.overrides[key], True
        return self.synonyms.get(key), False

    def known_count(self, cells: list) -> int:
        """How many different fields a row's cells name: a header has several."""
        found = {self.field_for(c)[0] for c in cells if str(c if c is not None else "").strip()}
        return len(found - {None, IGNORE})

    def is_header(self, cells: list) -> bool:
        return self.known_count(cells) >= HEADER_MIN_FIELDS

    def map(self, header: list) -> Mapping:
        by_field: dict[str, list[int]] = {}
        unknown, ignored, overridden = [], [], []
        for i, cell in enumerate(header):
            if not str(cell if cell is not None else "").strip():
                continue
            name, by_override = self.field_for(cell)
            if by_override:
                overridden.append(i)
            if name is None:
                unknown.append(i)
            elif name == IGNORE:
                ignored.append(i)
            else:
                by_field.setdefault(name, []).append(i)
        columns = {f: idx[0] for f, idx in by_field.items() if len(idx) == 1}
        conflicts = {f: idx for f, idx in by_field.items() if len(idx) > 1}
        fallbacks = {}
        for name, helpers in FALLBACKS.items():
            if name in columns or name in conflicts:
                continue
            helper = next((h for h in helpers if h in columns), None)
            if helper:
                fallbacks[name] = helper
        return Mapping(columns, fallbacks, conflicts, unknown, ignored, overridden)

    def examples(self, name: str, limit: int = 4) -> list[str]:
        """A few keys the seed accepts for a field, for messages."""
        return [k for k, f in self.synonyms.items() if f == name][:limit]


def _seed_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _keyed(rows: list[dict], source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in rows:
        key, name = header_key(row["header"]), row["field"].strip()
        if name not in KNOWN_FIELDS:
            raise ValueError(f"{source}: header {row['header']!r} maps to unknown field {name!r}")
        if out.get(key, name) != name:
            raise ValueError(f"{source}: header {row['header']!r} maps to both {out[key]!r} and {name!r}")
        out[key] = name
    return out


@lru_cache(maxsize=1)
def _seeded_synonyms() -> dict[str, str]:
    return _keyed(_seed_rows(settings.seeds_dir() / SYNONYM_SEED), SYNONYM_SEED)


@lru_cache(maxsize=1)
def _seeded_overrides() -> dict[str, dict[str, str]]:
    by_council: dict[str, list[dict]] = {}
    for row in _seed_rows(settings.seeds_dir() / OVERRIDE_SEED):
        by_council.setdefault(row["council_code"].strip(), []).append(row)
    return {code: _keyed(rows, f"{OVERRIDE_SEED} ({code})") for code, rows in by_council.items()}


def header_map(council_code: str | None = None) -> HeaderMap:
    """The seeded synonyms, with the council's overrides when a council is given."""
    overrides = _seeded_overrides().get(council_code or "", {})
    return HeaderMap(dict(_seeded_synonyms()), dict(overrides))
