"""Payment lines -> ProClass categories: what each council's expense types and codes bought.

ProClass is local government's own procurement classification, free to use. Two seeds
hold it here: `proclass_categories.csv`, the categories (level 1, and level 2 under each),
and `spend_category_map.csv`, the rules that say which category a council's expense type
or expense code means. The category list is a representative subset written for this
project in ProClass's shape (alphabetical headings, a 'Not Elsewhere Classified' heading
closing each section), NOT the official ProClass file: ProClass headings carry no numbers,
so the six-digit codes are ours (1X0000 a level-1 heading, 1XYY00 a level-2 heading under
it) and stay stable: a new heading takes the next free code, none is renumbered. The
heading 990000 'Non-Influenceable Spend' (grants, rates, levies, refunds, payroll
deductions) is ours too: ProClass leaves that spend out, and it must be classified, not
counted as unclassified, yet never offered as a collaboration opportunity.

A rule matches on one of:
  expense_type  the type as councils write it; compared as written (case and spacing
                aside: method `exact`) and then normalised (method `normalised`: '&' and
                'and', punctuation, plurals, common abbreviations, word order and a ledger
                code written into the text, as in 'Electricity (4010)', all ignored);
  expense_code  a ledger code, exactly or by prefix ('51*'); codes mean nothing across
                councils, so these rules are normally a council's own;
  keyword       a word or phrase found in a type no rule matched (method `keyword`):
                conservative, and when keywords point to different categories the line
                stays unclassified.
A rule with a council_code is that council's own meaning and wins over every general rule
(method `council_code`). What no rule matches is unclassified, with its amount: never
dropped, and `unclassified_share` reports it per council. Generic types that say nothing
about what was bought ('Private Contractors', 'Other Supplies & Services') are left
unmapped on purpose: a catch-all category would invent collaboration opportunities.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from councilbench.core import catalogue, settings

CATEGORY_SEED = "proclass_categories.csv"
MAP_SEED = "spend_category_map.csv"
MATCH_ON = ("expense_type", "expense_code", "keyword")
#: How a line was categorised, most specific first.
METHODS = ("council_code", "code", "exact", "normalised", "keyword", "unclassified")
UNCLASSIFIED = "Unclassified"
#: Level-1 heading of spend no procurement can influence (ours, not ProClass's).
NON_INFLUENCEABLE_CODE = "990000"
#: Columns `categorise_frame` adds to a frame of payment lines.
CATEGORY_COLUMNS = (
    "proclass_code",
    "proclass_level1_code",
    "proclass_level1",
    "proclass_level2",
    "category_method",
    "category_matched",
)


@dataclass(frozen=True)
class Category:
    """What one expense type / code means, and how that was decided."""

    code: str | None  # the level-2 code; None when unclassified
    level1: str
    level2: str
    method: str  # one of METHODS
    matched: str  # what matched, in words: "keyword 'electricity'"
    level1_code: str | None = None

    @property
    def classified(self) -> bool:
        return self.code is not None

    @property
    def influenceable(self) -> bool:
        return self.classified and self.level1_code != NON_INFLUENCEABLE_CODE


def unclassified(why: str) -> Category:
    return Category(None, UNCLASSIFIED, UNCLASSIFIED, "unclassified", why)


# --- normalisation ------------------------------------------------------------------------

_CODE = r"[a-z]{0,3}\d{3,}[a-z]?"
_LEADING_CODE = re.compile(rf"^\s*(?:({_CODE})\s*[-:–|]\s*|(\d{{3,}})\s+)", re.IGNORECASE)
_TRAILING_CODE = re.compile(rf"\s*(?:[(\[]\s*({_CODE})\s*[)\]]|[-:–|]\s*({_CODE}))\s*$", re.IGNORECASE)
# 'R&M', 'R & M', 'T&S' are words, not an 'and' between two letters.
_INITIALISMS = (
    (re.compile(r"\br\s*(?:&|and)\s*m\b"), " repairs maintenance "),
    (re.compile(r"\bt\s*(?:&|and)\s*s\b"), " travel subsistence "),
    (re.compile(r"\bb\s*(?:&|and)\s*b\b"), " bed breakfast "),
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_STOP_WORDS = frozenset({"a", "an", "and", "by", "for", "from", "in", "of", "on", "the", "to", "with"})
#: Abbreviations and spellings finance systems use, to the word the seed writes.
_WORDS = {
    "accom": "accommodation",
    "bldg": "building",
    "bldgs": "building",
    "dept": "department",
    "elec": "electricity",
    "equip": "equipment",
    "ext": "external",
    "govt": "government",
    "hways": "highway",
    "hwys": "highway",
    "it": "ict",
    "license": "licence",
    "licenses": "licence",
    "maint": "maintenance",
    "mgmt": "management",
    "mgt": "management",
    "misc": "miscellaneous",
    "mtce": "maintenance",
    "org": "organisation",
    "organization": "organisation",
    "organizations": "organisation",
    "orgs": "organisation",
    "prof": "professional",
    "purch": "purchase",
    "svc": "service",
    "svcs": "service",
    "tel": "telephone",
    "temp": "temporary",
    "vol": "voluntary",
}


def split_code(text: str) -> tuple[str, str | None]:
    """'Electricity (4010)' -> ('Electricity', '4010'): a ledger code written into the type."""
    text = str(text).strip()
    if re.fullmatch(_CODE, text, re.IGNORECASE):
        return "", text
    code = None
    for pattern in (_LEADING_CODE, _TRAILING_CODE):
        found = pattern.search(text)
        if found and found.end() - found.start() < len(text.strip()):
            code = code or next(g for g in found.groups() if g)
            text = text[: found.start()] + text[found.end() :]
    return text.strip(), code


def exact_key(text: str) -> str:
    """As written, case and spacing aside."""
    return " ".join(str(text).casefold().split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    text = text.replace("'", "")  # children's -> childrens -> children (a curly one went with the accents)
    for pattern, words in _INITIALISMS:
        text = pattern.sub(words, text)
    words = (_WORDS.get(w, w) for w in _NOT_WORD.sub(" ", text).split())
    return [_singular(w) for w in words if w not in _STOP_WORDS]


def type_key(text: str) -> str:
    """The normalised key of an expense type: 'Repairs & Maint - Buildings (4100)' and
    'Building Repairs and Maintenance' are both 'building maintenance repair'."""
    return " ".join(sorted(set(_words(split_code(text)[0]))))


def phrase(text: str) -> str:
    """Normalised words in their written order, padded, for keyword search."""
    return " " + " ".join(_words(text)) + " "


def code_key(code: object) -> str:
    """A ledger code as compared: no spaces, upper case, no float artefact ('4010.0')."""
    text = re.sub(r"\s+", "", str(code or "")).upper()
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def _text(value: object) -> str:
    """A cell as text: None and NaN are blank."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


# --- the seeds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """One ProClass heading: level 1, or level 2 under its parent."""

    code: str
    level: int
    name: str
    parent_code: str | None


@dataclass(frozen=True)
class Rule:
    """One row of the map seed: what a council's type, code or keyword means."""

    council_code: str  # '' for every council
    match_on: str  # one of MATCH_ON
    pattern: str
    proclass_code: str
    note: str = ""
    source: str = ""  # 'spend_category_map.csv line 12', for messages

    def words(self) -> str:
        said = f"{self.match_on.replace('_', ' ')} {self.pattern!r}"
        return f"council {self.council_code} {said}" if self.council_code else said


def _seed_rows(path: Path) -> list[tuple[int, dict]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return [(reader.line_num, row) for row in reader]


def load_headings(path: Path) -> list[Heading]:
    headings = []
    for line, row in _seed_rows(path):
        code, level = row["proclass_code"].strip(), row["proclass_level"].strip()
        if not re.fullmatch(r"\d{6}", code) or level not in ("1", "2"):
            raise ValueError(f"{path.name} line {line}: code {code!r} level {level!r} (six digits, level 1 or 2)")
        parent = row["parent_code"].strip() or None
        headings.append(Heading(code, int(level), row["proclass_name"].strip(), parent))
    return headings


def load_rules(path: Path) -> list[Rule]:
    return [
        Rule(
            council_code=(row.get("council_code") or "").strip().upper(),
            match_on=row["match_on"].strip(),
            pattern=row["pattern"].strip(),
            proclass_code=row["proclass_code"].strip(),
            note=(row.get("note") or "").strip(),
            source=f"{path.name} line {line}",
        )
        for line, row in _seed_rows(path)
    ]


def load_category_map(seeds_dir: Path | None = None, *, council_codes: set[str] | None = None) -> CategoryMap:
    """The two seeds, checked: every rule names a level-2 heading and a known council."""
    seeds = Path(seeds_dir or settings.seeds_dir())
    known = council_codes if council_codes is not None else set(catalogue.councils())
    return CategoryMap(load_headings(seeds / CATEGORY_SEED), load_rules(seeds / MAP_SEED), council_codes=known)


@lru_cache(maxsize=1)
def default_map() -> CategoryMap:
    return load_category_map()


# --- matching -----------------------------------------------------------------------------


class _Scope:
    """The rules of one scope, indexed: one council's own, or the general ones."""

    def __init__(self) -> None:
        self.exact: dict[str, Rule] = {}
        self.normalised: dict[str, Rule] = {}
        self.codes: dict[str, Rule] = {}
        self.prefixes: list[tuple[str, Rule]] = []  # longest first
        self.keywords: list[tuple[str, Rule]] = []  # (' padded words ', rule)

    def add(self, rule: Rule) -> None:
        if rule.match_on == "expense_type":
            self._put(self.exact, exact_key(rule.pattern), rule)
            self._put(self.normalised, type_key(rule.pattern), rule)
        elif rule.match_on == "keyword":
            self.keywords.append((phrase(rule.pattern), rule))
        elif rule.pattern.endswith("*"):
            self.prefixes.append((code_key(rule.pattern[:-1]), rule))
            self.prefixes.sort(key=lambda p: -len(p[0]))
        else:
            self._put(self.codes, code_key(rule.pattern), rule)

    @staticmethod
    def _put(index: dict[str, Rule], key: str, rule: Rule) -> None:
        other = index.setdefault(key, rule)
        if other.proclass_code != rule.proclass_code:
            raise ValueError(
                f"{rule.source}: {rule.words()} means {rule.proclass_code}, but {other.source}: "
                f"{other.words()} means {other.proclass_code} (both read as {key!r})"
            )

    def by_code(self, code: str) -> Rule | None:
        if not code:
            return None
        return self.codes.get(code) or next((r for p, r in self.prefixes if code.startswith(p)), None)

    def by_type(self, text: str) -> tuple[Rule, str] | None:
        if not text:
            return None
        if rule := self.exact.get(exact_key(text)):
            return rule, "exact"
        if rule := self.normalised.get(type_key(text)):
            return rule, "normalised"
        return None

    def by_keyword(self, text: str) -> list[tuple[str, Rule]]:
        """The keywords found, less those inside a longer one found ('software' inside
        'software licence'): what is left must agree, or nothing is claimed."""
        if not text or not self.keywords:
            return []
        padded = phrase(split_code(text)[0])
        hits = [(k, r) for k, r in self.keywords if k in padded]
        return [(k, r) for k, r in hits if not any(k != o and k in o for o, _ in hits)]


class CategoryMap:
    """The ProClass headings and the rules, ready to categorise lines (results cached:
    a year of lines holds a few thousand distinct types)."""

    def __init__(self, headings: list[Heading], rules: list[Rule], *, council_codes: set[str] | None = None):
        self.headings = _checked_headings(headings)
        self.general = _Scope()
        self.councils: dict[str, _Scope] = {}
        for rule in rules:
            self._check(rule, council_codes)
            scope = self.councils.setdefault(rule.council_code, _Scope()) if rule.council_code else self.general
            scope.add(rule)
        self.rules = list(rules)
        self._cache: dict[tuple[str, str, str], Category] = {}

    def _check(self, rule: Rule, council_codes: set[str] | None) -> None:
        heading = self.headings.get(rule.proclass_code)
        if rule.match_on not in MATCH_ON:
            raise ValueError(f"{rule.source}: match_on {rule.match_on!r} is not one of {', '.join(MATCH_ON)}")
        if not rule.pattern.strip("* "):
            raise ValueError(f"{rule.source}: an empty pattern")
        if heading is None or heading.level != 2:
            raise ValueError(f"{rule.source}: {rule.proclass_code!r} is not a level-2 heading in {CATEGORY_SEED}")
        if rule.council_code and council_codes is not None and rule.council_code not in council_codes:
            raise ValueError(f"{rule.source}: council {rule.council_code!r} is not in the registry")

    def knows_code(self, code: str) -> bool:
        """Whether any rule, general or a council's, matches this ledger code."""
        return any(scope.by_code(code) for scope in (self.general, *self.councils.values()))

    def category(self, code: str, method: str, matched: str) -> Category:
        heading = self.headings[code]
        parent = self.headings[heading.parent_code]
        return Category(code, parent.name, heading.name, method, matched, parent.code)

    def categorise(self, expense_type: object = "", expense_code: object = "", council_code: object = "") -> Category:
        key = (_text(expense_type), _text(expense_code), _text(council_code).upper())
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._decide(*key)
        return found

    def _decide(self, text: str, written_code: str, council: str) -> Category:
        code = code_key(written_code) or code_key(split_code(text)[1])
        if not text and not code:
            return unclassified("no expense type or code")
        if own := self.councils.get(council):
            if rule := own.by_code(code):
                return self.category(rule.proclass_code, "council_code", f"{rule.words()} (code {code})")
            if found := own.by_type(text):
                return self.category(found[0].proclass_code, "council_code", found[0].words())
            if (hits := own.by_keyword(text)) and len({r.proclass_code for _, r in hits}) == 1:
                return self.category(hits[0][1].proclass_code, "council_code", hits[0][1].words())
        if rule := self.general.by_code(code):
            return self.category(rule.proclass_code, "code", f"{rule.words()} (code {code})")
        if found := self.general.by_type(text):
            rule, how = found
            return self.category(rule.proclass_code, how, rule.words())
        hits = self.general.by_keyword(text)
        if len({r.proclass_code for _, r in hits}) == 1:
            return self.category(hits[0][1].proclass_code, "keyword", hits[0][1].words())
        if hits:
            said = ", ".join(f"{r.pattern!r} ({r.proclass_code})" for _, r in hits)
            return unclassified(f"keywords disagree: {said}")
        return unclassified(f"no rule for {text!r}" if text else "no rule for the expense code")


def _checked_headings(headings: list[Heading]) -> dict[str, Heading]:
    by_code: dict[str, Heading] = {}
    for h in headings:
        if by_code.setdefault(h.code, h) is not h:
            raise ValueError(f"{CATEGORY_SEED}: code {h.code} twice")
    for h in headings:
        parent = by_code.get(h.parent_code or "")
        if (h.level == 1) != (h.parent_code is None) or (h.level == 2 and (parent is None or parent.level != 1)):
            raise ValueError(f"{CATEGORY_SEED}: {h.code} {h.name!r} (level {h.level}) has parent {h.parent_code!r}")
    return by_code


def categorise(expense_type: object = "", expense_code: object = "", council_code: object = "") -> Category:
    """One expense type / code of one council -> its ProClass category, by the seeds."""
    return default_map().categorise(expense_type, expense_code, council_code)


# --- frames of payment lines ---------------------------------------------------------------


#: What an expense code no rule knows is decided as (it matters only that there was one).
_ANY_CODE = "?"


def _factorised(frame: pd.DataFrame, column: str, fill: object) -> tuple[np.ndarray, np.ndarray]:
    """(a code per line, the distinct values) for a column, or one blank value if absent."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64), np.array([fill], dtype=object)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _codes_with_rules(codes: np.ndarray, uniques: np.ndarray, cmap: CategoryMap) -> tuple[np.ndarray, np.ndarray]:
    """Codes no rule knows read alike ('?': a code was given), so a council's thousands of
    ledger codes do not multiply the distinct lines to decide."""
    own = [_text(u) if not _text(u) or cmap.knows_code(code_key(u)) else _ANY_CODE for u in uniques]
    merged, kept = pd.factorize(np.asarray(own, dtype=object))
    return merged.astype(np.int64)[codes], np.asarray(kept, dtype=object)


def _councils_with_rules(codes: np.ndarray, uniques: np.ndarray, cmap: CategoryMap) -> tuple[np.ndarray, np.ndarray]:
    """A council without rules of its own reads like any other: one blank council for all of
    them, so each distinct type is decided once, not once per council."""
    own = [_text(u).upper() if _text(u).upper() in cmap.councils else "" for u in uniques]
    merged, kept = pd.factorize(np.asarray(own, dtype=object))
    return merged.astype(np.int64)[codes], np.asarray(kept, dtype=object)


def categorise_frame(
    frame: pd.DataFrame, *, council_code: str | None = None, category_map: CategoryMap | None = None
) -> pd.DataFrame:
    """The lines with CATEGORY_COLUMNS added, every line kept. Reads `expense_type`,
    `expense_code` and `council_code` (or the council given for the whole frame); each
    distinct combination is categorised once and joined back by position, so a year of a
    region's lines costs the few thousand distinct types, not a million calls."""
    cmap = category_map or default_map()
    council_column = "__council" if council_code is not None else "council_code"
    source = frame.assign(__council=council_code) if council_code is not None else frame
    parts = [_factorised(source, c, "") for c in ("expense_type", "expense_code", council_column)]
    parts[1] = _codes_with_rules(*parts[1], cmap)
    parts[2] = _councils_with_rules(*parts[2], cmap)
    sizes = [len(uniques) for _, uniques in parts]
    combined = (parts[0][0] * sizes[1] + parts[1][0]) * sizes[2] + parts[2][0]
    line_group, groups = pd.factorize(combined)
    type_ix, rest = np.divmod(groups, sizes[1] * sizes[2])
    code_ix, council_ix = np.divmod(rest, sizes[2])
    found = [
        cmap.categorise(parts[0][1][t], parts[1][1][c], parts[2][1][k])
        for t, c, k in zip(type_ix, code_ix, council_ix, strict=True)
    ]
    values = {
        "proclass_code": [f.code for f in found],
        "proclass_level1_code": [f.level1_code for f in found],
        "proclass_level1": [f.level1 for f in found],
        "proclass_level2": [f.level2 for f in found],
        "category_method": [f.method for f in found],
        "category_matched": [f.matched for f in found],
    }
    # taken from the few distinct answers as pandas' own strings (blank -> null): building
    # a million-row column from Python objects would cost more than all the deciding
    columns = {name: pd.Series(v, dtype="str").array.take(line_group) for name, v in values.items()}
    return frame.assign(**{name: pd.Series(column, index=frame.index) for name, column in columns.items()})


def unclassified_share(
    frame: pd.DataFrame, *, council_code: str | None = None, category_map: CategoryMap | None = None
) -> pd.DataFrame:
    """Per council: lines, unclassified lines, net spend, unclassified net spend and the
    unclassified share of net spend (credit notes net off; NaN when a council's net is 0).
    Categorises the lines first unless they already carry `category_method`."""
    if "category_method" not in frame.columns:
        frame = categorise_frame(frame, council_code=council_code, category_map=category_map)
    if council_code is not None:
        councils = pd.Series(council_code, index=frame.index)
    elif "council_code" in frame.columns:
        councils = frame["council_code"]
    else:
        raise ValueError("unclassified_share needs a council_code column or council_code=")
    amount = pd.to_numeric(frame["net_amount"], errors="coerce").fillna(0.0).astype(float)
    is_unclassified = frame["category_method"].eq("unclassified")
    table = pd.DataFrame(
        {
            "council_code": councils.to_numpy(),
            "net": amount.to_numpy(),
            "unclassified_net": amount.where(is_unclassified, 0.0).to_numpy(),
            "unclassified": is_unclassified.to_numpy(),
        }
    )
    grouped = table.groupby("council_code", dropna=False, sort=True)
    out = pd.DataFrame(
        {
            "lines": grouped.size(),
            "unclassified_lines": grouped["unclassified"].sum(),
            "net_total": grouped["net"].sum().round(2),
            "unclassified_net": grouped["unclassified_net"].sum().round(2),
        }
    )
    out["unclassified_share"] = (out["unclassified_net"] / out["net_total"].where(out["net_total"] != 0)).round(4)
    return out.reset_index()
