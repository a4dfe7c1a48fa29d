"""One cell of a pay deposit -> its value, the habit that was tidied (if any), or why it
cannot be read.

Only what is unambiguous is tidied: '£24,413.00' is 24413.00 pounds (a pound sign and
thousands separators), '80%' is an FTE of 0.8, 'SCP 12' is point 12, '2025/26' is the pay
year 2025-26, 'Fixed term' is fixed_term. Everything else is a finding, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
FTE_PLACES = Decimal("0.0001")
CONTRACT_TYPES = ("permanent", "fixed_term", "casual", "apprentice")
#: Spellings of a contract type that are not its name with other case or separators.
_CONTRACT_SYNONYMS = {"apprenticeship": "apprentice", "fixed term contract": "fixed_term"}

_POUND = re.compile("^(?:\\\\xa3|[âãÂÃ\u201a]*£)")
_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")
_SCP = re.compile(r"^(?:scp|spinal (?:column )?point|point)\s*(\d+)$", re.IGNORECASE)
_PAY_YEAR = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{2}|\d{4})$")
_EXCEL_ERROR = re.compile(r"^#(N/A|VALUE!|REF!|DIV/0!|NUM!|NAME\?|NULL!)$", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    """What one cell gave: value None and `problem` set when it cannot be read."""

    value: object = None
    habits: tuple[str, ...] = ()  # pound, thousands, percent_fte, scp_prefix, pay_year, contract_type, rounded
    problem: str | None = None

    @property
    def blank(self) -> bool:
        return self.value is None and self.problem is None


BLANK = Cell()


def text(cell: object) -> str:
    """A cell as trimmed text ('' when blank); a whole float as its integer ('12' not '12.0')."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        return cell.isoformat()[:10]
    return " ".join(str(cell).split())


def _unreadable_words(raw: str) -> str:
    if _EXCEL_ERROR.match(raw):
        return f"'{raw}' (the Excel error {raw.upper()}: a formula that found nothing)"
    return f"'{raw}' (is not a number)"


def _number(cell: object) -> tuple[Decimal | None, tuple[str, ...], str | None]:
    """A number as written: (value, habits, problem)."""
    if isinstance(cell, bool):
        return None, (), f"'{cell}' (is not a number)"
    if isinstance(cell, int | float):
        return Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell), (), None
    raw = text(cell)
    if not raw:
        return None, (), None
    habits = []
    body = raw
    stripped = _POUND.sub("", body).strip()
    if stripped != body:
        habits.append("pound")
        body = stripped
    if _GROUPED.match(body):
        habits.append("thousands")
        body = body.replace(",", "")
    if not _PLAIN.match(body):
        return None, (), _unreadable_words(raw)
    return Decimal(body), tuple(habits), None


def money(cell: object) -> Cell:
    """Pounds a year, to the penny; never negative."""
    value, habits, problem = _number(cell)
    if problem or value is None:
        return Cell(problem=problem) if problem else BLANK
    if value < 0:
        return Cell(problem=f"'{text(cell)}' (is negative: pay is given as a positive amount a year)")
    rounded = value.quantize(PENNY, rounding=ROUND_HALF_UP)
    if rounded != value and not isinstance(cell, float):
        habits = (*habits, "rounded")
    return Cell(rounded, habits)


def fte(cell: object) -> Cell:
    """The FTE of each incumbent: a fraction ('0.8') or a percentage ('80%'), to 4 places.
    Its range is the validator's to judge (an FTE of 37 is weekly hours, said there)."""
    raw = text(cell)
    habits: tuple[str, ...] = ()
    if raw.endswith("%"):
        value, _, problem = _number(raw[:-1].strip())
        if problem or value is None:
            return Cell(problem=_unreadable_words(raw))
        value, habits = value / 100, ("percent_fte",)
    else:
        value, _, problem = _number(cell)
        if problem or value is None:
            return Cell(problem=problem) if problem else BLANK
    rounded = value.quantize(FTE_PLACES, rounding=ROUND_HALF_UP)
    if rounded != value and not isinstance(cell, float):
        habits = (*habits, "rounded_fte")
    return Cell(rounded, habits)


def whole(cell: object) -> Cell:
    """A whole number (headcount, an SCP): 'SCP 12' -> 12."""
    raw = text(cell)
    habits: tuple[str, ...] = ()
    m = _SCP.match(raw)
    if m:
        raw, habits = m.group(1), ("scp_prefix",)
    value, _, problem = _number(raw if habits else cell)
    if problem or value is None:
        return Cell(problem=problem) if problem else BLANK
    if value != value.to_integral_value():
        return Cell(problem=f"'{text(cell)}' (is not a whole number)")
    return Cell(int(value), habits)


def pay_year(cell: object) -> Cell:
    """'2025-26' as it is; '2025/26', '2025-2026', '2025/2026' -> '2025-26'. Anything else
    is kept as written, for the pay_year check to say."""
    raw = text(cell)
    if not raw:
        return BLANK
    m = _PAY_YEAR.match(raw)
    if not m:
        return Cell(raw)
    first, second = int(m.group(1)), m.group(2)
    if int(second[-2:]) != (first + 1) % 100 or (len(second) == 4 and int(second) != first + 1):
        return Cell(raw)
    canonical = f"{first}-{(first + 1) % 100:02d}"
    return Cell(canonical, ("pay_year",) if canonical != raw else ())


def contract_type(cell: object) -> Cell:
    """'Fixed term', 'FIXED-TERM' -> fixed_term; an unknown type is kept as written (the
    contract_type check names it)."""
    raw = text(cell)
    if not raw:
        return BLANK
    key = re.sub(r"[^a-z]+", " ", raw.lower()).strip()
    canonical = _CONTRACT_SYNONYMS.get(key, key.replace(" ", "_"))
    if canonical not in CONTRACT_TYPES:
        return Cell(raw)
    return Cell(canonical, ("contract_type",) if canonical != raw else ())


def is_blank(cell: object) -> bool:
    return not text(cell)
