"""A pay deposit's columns: the canonical ones (docs/pay_guide.md), the headers accepted
for each, and which column of a council's file holds which.

Headers are compared after `header_key`: case, spacing, punctuation and a pound sign
never matter ('Salary (FTE)', 'salary fte' and 'SALARY_FTE' are one header). A few
synonyms HR systems write are accepted as well ('Annual salary', 'Post ref'). Nothing
names a person here: a header such as 'Employee name' is no column of the deposit, and
personal.py rejects a file that has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The columns of a deposit, in the template's order.
CANONICAL_COLUMNS = (
    "council_code",
    "pay_year",
    "post_id",
    "job_title",
    "role_id",
    "grade",
    "scp_min",
    "scp_max",
    "fte_salary",
    "fte",
    "headcount",
    "allowances",
    "market_supplement",
    "contract_type",
)
#: Without these a post cannot be read at all. role_id is not among them: a file without
#: it is read, and the role check suggests catalogue roles for each job title.
REQUIRED_COLUMNS = ("council_code", "pay_year", "post_id", "job_title", "fte_salary", "fte", "headcount")
#: A row naming this many different canonical columns is the header row.
HEADER_MIN_COLUMNS = 3
#: How far down a title block may push the header.
HEADER_SEARCH_ROWS = 10

#: Headers accepted for each column besides its own name (compared by header_key).
SYNONYMS = {
    "council_code": ("council", "council name", "gss code", "authority", "local authority", "organisation", "employer"),
    "pay_year": ("year", "financial year", "njc pay year"),
    "post_id": ("post", "post ref", "post reference", "post number", "post no", "position id", "position number",
                "establishment id", "establishment reference"),
    "job_title": ("post title", "job", "position title", "role title", "job name", "post name"),
    "role_id": ("role", "catalogue role", "catalogue role id", "benchmark role", "benchmark role id", "role code"),
    "grade": ("pay grade", "band", "pay band", "grade band"),
    "scp_min": ("scp minimum", "minimum scp", "min scp", "scp from", "bottom scp", "lowest scp", "scp bottom",
                "spinal column point min", "spinal column point minimum"),
    "scp_max": ("scp maximum", "maximum scp", "max scp", "scp to", "top scp", "highest scp", "scp top",
                "spinal column point max", "spinal column point maximum"),
    "fte_salary": ("salary fte", "annual salary", "fte annual salary", "annual fte salary", "full time salary",
                   "full time equivalent salary", "actual fte salary", "salary", "basic salary", "annual basic salary"),
    "fte": ("full time equivalent", "fte per incumbent", "contracted fte"),
    "headcount": ("head count", "incumbents", "number of incumbents", "number in post", "staff in post"),
    "allowances": ("allowance", "annual allowances", "allowances per year"),
    "market_supplement": ("market supplements", "market premium", "market rate supplement"),
    "contract_type": ("contract", "employment type", "contract basis"),
}  # fmt: skip

# '£' as written, as UTF-8 read as Windows-1252 ('Â£'), or as a Python escape.
_POUND = re.compile("(?:\\\\xa3|[âãÂÃ\u201a]*£)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def header_key(cell: object) -> str:
    """'  Salary (FTE) £' -> 'salary fte', 'F.T.E.' -> 'fte': what a header is compared by
    (full stops and apostrophes join what they sit in; other punctuation separates words)."""
    text = str(cell if cell is not None else "").replace("\ufeff", "").lower().replace(".", "").replace("'", "")
    return _NOT_WORD.sub(" ", _POUND.sub(" ", text)).strip()


def _accepted() -> dict[str, str]:
    out = {}
    for column in CANONICAL_COLUMNS:
        for header in (column, *SYNONYMS.get(column, ())):
            out[header_key(header)] = column
    return out


ACCEPTED = _accepted()


def column_for(cell: object) -> str | None:
    return ACCEPTED.get(header_key(cell))


def examples(column: str, limit: int = 3) -> list[str]:
    """Headers accepted for a column, for messages: its own name first."""
    return [column, *SYNONYMS.get(column, ())][:limit]


def is_header(cells: list) -> bool:
    return len({column_for(c) for c in cells} - {None}) >= HEADER_MIN_COLUMNS


@dataclass(frozen=True)
class Mapping:
    """Which columns of one file hold which canonical columns."""

    columns: dict[str, int]  # canonical column -> its index in the file
    conflicts: dict[str, list[int]] = field(default_factory=dict)  # column -> 2+ indexes
    unknown: list[int] = field(default_factory=list)  # indexes of headers no column accepts

    @property
    def missing_required(self) -> list[str]:
        return [c for c in REQUIRED_COLUMNS if c not in self.columns and c not in self.conflicts]

    @property
    def absent(self) -> list[str]:
        return [c for c in CANONICAL_COLUMNS if c not in self.columns and c not in self.conflicts]


def map_header(header: list) -> Mapping:
    by_column: dict[str, list[int]] = {}
    unknown = []
    for i, cell in enumerate(header):
        if not str(cell if cell is not None else "").strip():
            continue
        column = column_for(cell)
        if column is None:
            unknown.append(i)
        else:
            by_column.setdefault(column, []).append(i)
    columns = {c: idx[0] for c, idx in by_column.items() if len(idx) == 1}
    conflicts = {c: idx for c, idx in by_column.items() if len(idx) > 1}
    return Mapping(columns, conflicts, unknown)
