"""What councils call what they bought: expense types and ledger codes from the category map.

The truth of every sample line is a ProClass level-2 code from
dbt_project/seeds/proclass_categories.csv. The names a council writes for it are taken
from the rules of spend_category_map.csv (`categories.default_map().rules`): the general
`expense_type` rules for that code, and the council's own rules where it has them (its
own meaning wins: Stafford's 'Contract Payments' is its refuse collection contract, so
Stafford writes it for those lines and no other council does). Ledger codes follow the
council's own code rules too (Birmingham's electricity is 4010, its agency staff 51xx),
and every other code is one no rule knows. So what the categoriser is measured on is its
matching (case, codes written into the text, council rules first), not the names.

A share of each council's lines carries a generic type that says nothing about what was
bought ('Private Contractors', 'Other Supplies & Services'): the map leaves those
unmapped on purpose, so the line's true code is known to the sample but not classifiable.
"""

from __future__ import annotations

import random
from collections import defaultdict
from functools import lru_cache

from councilbench.spend import categories

#: Expense types that say nothing about what was bought: unclassifiable by design.
GENERIC_TYPES = (
    "Private Contractors", "Other Supplies & Services", "Payments to Contractors", "Other Hired & Contracted Services",
    "Third Party Payments", "Miscellaneous Expenses", "Contract Payments", "Supplies and Services", "Other Contractors",
    "Sundries",
)  # fmt: skip
#: Ledger codes no rule knows start here (council code rules use 4xxx, 51xx and B42xx).
FIRST_LEDGER_CODE = 6001


def heading(code: str) -> tuple[str, str]:
    """A level-2 code -> (level-1 name, level-2 name)."""
    headings = categories.default_map().headings
    second = headings[code]
    return headings[second.parent_code].name, second.name


@lru_cache(maxsize=1)
def _general_names() -> dict[str, tuple[str, ...]]:
    """ProClass code -> the expense types the general rules give it, in seed order."""
    names: dict[str, list[str]] = defaultdict(list)
    for rule in categories.default_map().rules:
        if rule.match_on == "expense_type" and not rule.council_code:
            names[rule.proclass_code].append(rule.pattern)
    return {code: tuple(found) for code, found in names.items()}


def _own_rules(council_code: str, match_on: str) -> dict[str, str]:
    """A council's own rules of one kind: pattern -> ProClass code."""
    return {
        r.pattern: r.proclass_code
        for r in categories.default_map().rules
        if r.council_code == council_code and r.match_on == match_on
    }


def _keys(text: str) -> set[str]:
    return {categories.exact_key(text), categories.type_key(text)}


def names_by_code(council_code: str, codes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every name this council could write for each code: its own rule's name alone where
    it has one; else the general names no rule of its own reads differently."""
    own = _own_rules(council_code, "expense_type")
    claimed = {key for pattern in own for key in _keys(pattern)}
    out = {}
    for code in codes:
        mine = tuple(p for p, c in own.items() if c == code)
        general = tuple(n for n in _general_names().get(code, ()) if not _keys(n) & claimed)
        if not mine and not general:
            raise ValueError(f"no expense type in the category map names {code} for council {council_code}")
        out[code] = mine or general
    return out


def generic_names(council_code: str) -> tuple[str, ...]:
    """The generic types this council may write: those its own rules give no meaning."""
    claimed = {key for pattern in _own_rules(council_code, "expense_type") for key in _keys(pattern)}
    return tuple(n for n in GENERIC_TYPES if not _keys(n) & claimed)


def _ledger_code(council_code: str, code: str, n: int, next_free: int) -> str:
    """A council's code rule for this category decides its ledger code (a prefix rule
    such as '51*' gets two digits); otherwise the next free code no rule knows."""
    for pattern, target in _own_rules(council_code, "expense_code").items():
        if target == code:
            return f"{pattern[:-1]}{n + 1:02d}" if pattern.endswith("*") else pattern
    return str(next_free)


def council_expenses(
    council_code: str, codes: tuple[str, ...], rng: random.Random
) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], dict[str, str]]:
    """One council's names: (ProClass code -> the one or two types it writes, the generic
    types it writes, expense type as written -> ledger code). The style is the council's:
    as seeded, in capitals, or with the ledger code in front ('6004 Electricity')."""
    style = rng.choice(("plain", "plain", "upper", "coded"))
    candidates = names_by_code(council_code, codes)
    names, ledger, next_free = {}, {}, FIRST_LEDGER_CODE

    def written(name: str, number: str) -> str:
        text = name.upper() if style == "upper" else f"{number} {name}" if style == "coded" else name
        ledger[text] = number
        return text

    for code in codes:
        options = candidates[code]
        chosen = rng.sample(options, min(len(options), 2 if rng.random() < 0.3 else 1))
        numbers = [_ledger_code(council_code, code, n, next_free + n) for n in range(len(chosen))]
        next_free += len(chosen)
        names[code] = tuple(written(name, number) for name, number in zip(chosen, numbers, strict=True))
    generic = generic_names(council_code)
    picked = rng.sample(generic, min(len(generic), rng.choice((2, 3, 4))))
    generics = tuple(written(name, str(next_free + n)) for n, name in enumerate(picked))
    return names, generics, ledger
