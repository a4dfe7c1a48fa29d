"""Resolve the supplier names councils publish to canonical suppliers.

Evidence is weighed strongest first, and each step can only join suppliers, never
split them, except where a stronger fact forbids it:

1. the same Companies House number, then the same VAT number (normalised in names.py);
2. the same name key (names.py: case, punctuation, legal form, '&'/'and', 'The' ...);
3. a name cut at the publishing system's limit (35 characters) that begins exactly one
   supplier's longer names (tried again after step 4, which may settle an ambiguity);
4. a fuzzy match (rapidfuzz, inside blocks of names sharing their first or second
   word) above a threshold, for a *rare* spelling only: one seen from a single council.
   Two names each published by several councils are two suppliers' names, not a typo
   of each other ('Midland Care Services' and 'Midlands Care Services'), so fuzzy
   matching never joins them; a rare spelling joins its best candidate alone, strongest
   first, so spellings do not chain. The score ranks candidates; a candidate is taken
   only if the two names differ by one slip (a letter dropped, doubled, swapped or
   mistyped) in one word of six letters or more: a score alone cannot tell 'Lee
   Cleaning Services' from 'Leek Cleaning Services', or 'Davis' from 'Davies'.

Two groups that carry different company numbers (or, short of a shared company
number, different VAT numbers) are never joined by a name. Redacted lines are never
matched. A person's decisions (the overrides seed) win over all of it: a raw name is
confirmed into a supplier, or kept distinct.

The result is a match table, one row per distinct raw record, saying which supplier it
went to, how (method, score, block) and with which name, for review.
"""

from __future__ import annotations

import bisect
import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from councilbench.core import settings as core_settings
from councilbench.spend.names import NameKey, company_number, name_key, vat_number

OVERRIDE_SEED = "supplier_match_overrides.csv"
#: An override's canonical_id that splits a raw name off into a supplier of its own.
DISTINCT = "distinct"
#: Methods from strongest to weakest; a record keeps the strongest link it took part in.
METHODS = ("override", "company_number", "vat", "truncated_prefix", "fuzzy", "exact_name", "unique")
_RANK = {method: rank for rank, method in enumerate(METHODS)}


@dataclass(frozen=True)
class SupplierRecord:
    """One supplier as a council's file names it; the reader sets redacted."""

    raw_name: str
    company_number: str | None = None
    vat_number: str | None = None
    council: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class MatchSettings:
    threshold: float = 90.0
    scorer: Callable = fuzz.token_sort_ratio
    #: The length publishing systems cut names at (0: none).
    cut_at: int = 35
    #: A name key published by this many councils is established: fuzzy never moves it.
    established_councils: int = 2
    #: Keys shorter than this are too short to compare fuzzily ('bt', 'o2').
    min_fuzzy_length: int = 5
    #: The word a slip is in must have this many letters: 'Davis' and 'Davies', 'Baker'
    #: and 'Barker', 'Hill' and 'Hall' are different names, not slips.
    min_typo_word_length: int = 6
    workers: int = -1


@dataclass(frozen=True)
class MatchRow:
    raw_name: str
    company_number: str | None
    vat_number: str | None
    councils: tuple[str, ...]
    key: str
    canonical_id: str | None
    canonical_name: str | None
    method: str  # METHODS, or 'redacted' / 'unusable' (no id)
    score: float | None
    block: str
    matched_to: str


@dataclass
class _Entry:
    raw_name: str
    company_number: str | None
    vat_number: str | None
    name: NameKey
    councils: set[str] = field(default_factory=set)
    redacted: bool = False


@dataclass(frozen=True)
class _Link:
    method: str
    score: float
    block: str = ""
    matched_to: int = -1


class _Groups:
    """Union-find over entries; a group remembers its company and VAT numbers."""

    def __init__(self, entries: Sequence[_Entry]):
        self.parent = list(range(len(entries)))
        self.numbers = [{e.company_number} - {None} for e in entries]
        self.vats = [{e.vat_number} - {None} for e in entries]

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int, same_company: bool = False) -> bool:
        """Join a's and b's groups unless their numbers say they are different companies."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return True
        if self.numbers[ra] and self.numbers[rb] and not self.numbers[ra] & self.numbers[rb]:
            return False
        if not same_company and self.vats[ra] and self.vats[rb] and not self.vats[ra] & self.vats[rb]:
            return False
        self.parent[rb] = ra
        self.numbers[ra] |= self.numbers[rb]
        self.vats[ra] |= self.vats[rb]
        return True


def resolve(
    records: Iterable[SupplierRecord],
    overrides: dict[str, str] | None = None,
    settings: MatchSettings | None = None,
) -> list[MatchRow]:
    """The match table for these records (overrides: raw name -> canonical id or DISTINCT)."""
    settings = settings or MatchSettings()
    entries = _distinct(records, settings.cut_at)
    decided = _overridden(entries, overrides or {})
    auto = [i for i, e in enumerate(entries) if not e.redacted and i not in decided and _usable(e)]
    groups, links = _Groups(entries), {}
    _link_numbers(entries, auto, groups, links)
    _link_exact_names(entries, auto, groups, links)
    _link_truncated(entries, auto, groups, links)
    _link_fuzzy(entries, auto, groups, links, settings)
    _link_truncated(entries, auto, groups, links)  # again: fuzzy may have settled an ambiguity
    return _table(entries, auto, groups, links, decided)


def _distinct(records: Iterable[SupplierRecord], cut_at: int) -> list[_Entry]:
    by_record: dict[tuple, _Entry] = {}
    for r in records:
        raw = " ".join(r.raw_name.split())
        ch, vat = company_number(r.company_number), vat_number(r.vat_number)
        entry = by_record.get((raw, ch, vat, r.redacted))
        if entry is None:
            # Keyed as published: a name cut at 35 with a double space in it is 34 once tidied.
            name = name_key(r.raw_name.strip(), cut_at)
            entry = by_record[raw, ch, vat, r.redacted] = _Entry(raw, ch, vat, name, redacted=r.redacted)
        if r.council:
            entry.councils.add(r.council)
    return list(by_record.values())


def _usable(entry: _Entry) -> bool:
    return bool(entry.name.key or entry.company_number or entry.vat_number)


def _override_key(raw: str) -> str:
    return " ".join(raw.split()).casefold()


def _overridden(entries: Sequence[_Entry], overrides: dict[str, str]) -> dict[int, str]:
    wanted: dict[str, str] = {}
    for raw, target in overrides.items():
        if wanted.setdefault(_override_key(raw), target.strip()) != target.strip():
            raise ValueError(f"override for {raw!r}: the same name (ignoring case and spaces) has two decisions")
    return {
        i: wanted[_override_key(e.raw_name)]
        for i, e in enumerate(entries)
        if not e.redacted and _override_key(e.raw_name) in wanted
    }


def _note(links: dict[int, _Link], i: int, link: _Link) -> None:
    if i not in links or _RANK[link.method] < _RANK[links[i].method]:
        links[i] = link


def _join_all(members: list[int], method: str, groups: _Groups, links: dict[int, _Link]) -> None:
    first = members[0]
    for other in members[1:]:
        if groups.join(first, other, same_company=method == "company_number"):
            _note(links, other, _Link(method, 100.0, matched_to=first))
            _note(links, first, _Link(method, 100.0, matched_to=other))


def _link_numbers(entries, auto, groups, links) -> None:
    for attribute, method in (("company_number", "company_number"), ("vat_number", "vat")):
        members: dict[str, list[int]] = defaultdict(list)
        for i in auto:
            if value := getattr(entries[i], attribute):
                members[value].append(i)
        for group in members.values():
            _join_all(group, method, groups, links)


def _link_exact_names(entries, auto, groups, links) -> None:
    members: dict[str, list[int]] = defaultdict(list)
    for i in auto:
        name = entries[i].name
        for key in {name.key, name.alias} - {None, ""}:
            members[key].append(i)
    for group in members.values():
        # Numbered records first, so an unnumbered one joins a numbered group it agrees with.
        group.sort(key=lambda i: (entries[i].company_number is None, entries[i].vat_number is None, i))
        _join_all(group, "exact_name", groups, links)


def _keys(entries, auto) -> dict[str, list[int]]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for i in auto:
        if entries[i].name.key:
            by_key[entries[i].name.key].append(i)
    return by_key


def _link_truncated(entries, auto, groups, links) -> None:
    """A cut name joins the one supplier whose longer names it begins ('... Healthcare NH')."""
    by_key = _keys(entries, auto)
    ordered = sorted(by_key)
    cut = {entries[i].name.key for i in auto if entries[i].name.truncated}
    whole = {entries[i].name.key for i in auto if not entries[i].name.truncated}
    # A key some uncut name also has is a whole name that happened to reach the limit.
    # Longest first: 'X NHS Founda' joins the whole name before 'X NHS Foun' looks, so
    # the shorter finds one supplier, not two.
    for key in sorted(cut - whole - {""}, key=lambda k: (-len(k), k)):
        start = bisect.bisect_left(ordered, key)
        longer = []
        for other in ordered[start:]:
            if not other.startswith(key):
                break
            if other != key:
                longer.append(other)
        roots = {groups.root(by_key[other][0]) for other in longer}
        if len(roots) != 1:
            continue  # no longer form, or several suppliers begin so: leave it to review
        target = by_key[longer[0]][0]
        for i in by_key[key]:
            if groups.join(target, i):
                _note(links, i, _Link("truncated_prefix", 100.0, f"prefix:{key}", target))


def _support(entries, members: list[int]) -> int:
    """How many councils publish these records (a record of no known council counts once)."""
    return len(set().union(*(entries[i].councils or {f"?{entries[i].raw_name}"} for i in members)))


def _blocks(keys: Sequence[str]) -> dict[str, list[int]]:
    """Keys sharing their first word, their second word, or (one-word keys) three letters."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for k, key in enumerate(keys):
        words = key.split()
        blocks[f"w1:{words[0]}"].append(k)
        if len(words) > 1:
            blocks[f"w2:{words[1]}"].append(k)
        else:
            blocks[f"p3:{key[:3]}"].append(k)
    return blocks


def _one_slip(rare: str, known: str, min_length: int) -> bool:
    """The names differ in one word only, by one keyboard slip, in a word long enough
    that one letter does not make another name ('Servces'; not 'Davis'/'Davies')."""
    rare_words, known_words = rare.split(), known.split()
    if len(rare_words) != len(known_words):
        return False
    differing = [(a, b) for a, b in zip(rare_words, known_words, strict=True) if a != b]
    if len(differing) != 1:
        return False
    a, b = differing[0]
    return min(len(a), len(b)) >= min_length and OSA.distance(a, b) <= 1


def _best_candidates(keys, members, queries, support, settings: MatchSettings) -> Iterator[tuple[int, int, float]]:
    """(query, candidate, score) for each query's best candidate in one block."""
    scores = process.cdist(
        [keys[k] for k in queries],
        [keys[k] for k in members],
        scorer=settings.scorer,
        score_cutoff=settings.threshold,
        dtype=np.uint8,
        workers=settings.workers,
    )
    for row, q in enumerate(queries):
        above = [j for j in np.flatnonzero(scores[row] >= settings.threshold) if members[j] != q]
        above.sort(key=lambda j: (-int(scores[row, j]), -support[members[j]], members[j]))
        for j in above:
            if _one_slip(keys[q], keys[members[j]], settings.min_typo_word_length):
                yield q, members[j], float(scores[row, j])
                break


def _link_fuzzy(entries, auto, groups, links, settings: MatchSettings) -> None:
    by_key = _keys(entries, auto)
    keys = sorted(k for k in by_key if len(k) >= settings.min_fuzzy_length)
    support = [_support(entries, by_key[k]) for k in keys]
    roots = [groups.root(by_key[k][0]) for k in keys]
    established = [s >= settings.established_councils for s in support]
    # A rare spelling already tied to an established name is placed; fuzzy leaves it be.
    settled = {root for root, known in zip(roots, established, strict=True) if known}
    is_query = [not known and root not in settled for root, known in zip(roots, established, strict=True)]
    best: dict[int, tuple[float, int, int, str]] = {}  # query -> (score, support, -candidate, block)
    for label, members in _blocks(keys).items():
        queries = [k for k in members if is_query[k]]
        if queries and len(members) > 1:
            for q, candidate, score in _best_candidates(keys, members, queries, support, settings):
                found = (score, support[candidate], -candidate, label)
                if q not in best or found[:3] > best[q][:3]:
                    best[q] = found
    for q, (score, _, minus_candidate, label) in sorted(best.items(), key=lambda item: (-item[1][0], item[0])):
        target = by_key[keys[-minus_candidate]][0]
        for i in by_key[keys[q]]:
            if groups.join(target, i):
                _note(links, i, _Link("fuzzy", score, label, target))


# --- the match table ------------------------------------------------------------------


def _slug(text: str) -> str:
    return "-".join(text.split())


def _key_support(entries, members: list[int]) -> dict[str, int]:
    councils: dict[str, list[int]] = defaultdict(list)
    for i in members:
        councils[entries[i].name.key].append(i)
    return {key: _support(entries, same) for key, same in councils.items()}


def _representative(entries, members: list[int]) -> int:
    """The record whose name is shown: whole, most published, not shouted, with its legal form."""
    support = _key_support(entries, members)

    def preference(i: int) -> tuple:
        e = entries[i]
        whole = not e.name.truncated
        return (whole, support[e.name.key], not e.raw_name.isupper(), e.name.had_legal_form, len(e.councils))

    return min(
        members, key=lambda i: (tuple(-int(p) for p in preference(i)), len(entries[i].raw_name), entries[i].raw_name)
    )


def _cluster_id(entries, members: list[int], numbers: set[str], vats: set[str]) -> str:
    if numbers:
        return f"ch:{min(numbers)}"
    if vats:
        return f"vat:{min(vats)}"
    return f"name:{_slug(entries[_representative(entries, members)].name.key)}"


def _alternate_ids(entries, members: list[int]) -> set[str]:
    """Every id a person may have written for this supplier in an override."""
    ids = set()
    for i in members:
        e = entries[i]
        ids |= {f"ch:{e.company_number}"} if e.company_number else set()
        ids |= {f"vat:{e.vat_number}"} if e.vat_number else set()
        ids.add(f"name:{_slug(e.name.key)}")
    return ids


def _clusters(entries, auto, groups: _Groups, decided: dict[int, str]) -> dict[str, list[int]]:
    """Canonical id -> members: the automatic groups, then the people's decisions."""
    by_root: dict[int, list[int]] = defaultdict(list)
    for i in auto:
        by_root[groups.root(i)].append(i)
    clusters: dict[str, list[int]] = {}
    for root, members in sorted(by_root.items(), key=lambda item: min(item[1])):
        cid = _cluster_id(entries, members, groups.numbers[root], groups.vats[root])
        while cid in clusters:  # two groups kept apart with one name: both stay visible
            cid += "~"
        clusters[cid] = members
    known = {cid: cid for cid in clusters}
    for cid, members in clusters.items():
        for alternate in _alternate_ids(entries, members):
            known.setdefault(alternate, cid)
    for i, target in sorted(decided.items()):
        if target.casefold() == DISTINCT:
            cid = "raw:" + _slug(_override_key(entries[i].raw_name))
        else:
            cid = known.get(target, target)
        clusters.setdefault(cid, []).append(i)
    return clusters


def _row(entry: _Entry, cid: str | None, name: str | None, method: str, link: _Link | None, entries) -> MatchRow:
    return MatchRow(
        raw_name=entry.raw_name,
        company_number=entry.company_number,
        vat_number=entry.vat_number,
        councils=tuple(sorted(entry.councils)),
        key=entry.name.key,
        canonical_id=cid,
        canonical_name=name,
        method=method,
        score=link.score if link else None,
        block=link.block if link else "",
        matched_to=entries[link.matched_to].raw_name if link and link.matched_to >= 0 else "",
    )


def _table(entries, auto, groups, links, decided) -> list[MatchRow]:
    rows = []
    for cid, members in _clusters(entries, auto, groups, decided).items():
        name = entries[_representative(entries, members)].raw_name
        for i in members:
            if i in decided:
                rows.append(_row(entries[i], cid, name, "override", None, entries))
            else:
                link = links.get(i)
                rows.append(_row(entries[i], cid, name, link.method if link else "unique", link, entries))
    placed = set(auto) | set(decided)
    for i, entry in enumerate(entries):
        if i not in placed:
            rows.append(_row(entry, None, None, "redacted" if entry.redacted else "unusable", None, entries))
    return sorted(rows, key=lambda r: (r.canonical_name or "", r.canonical_id or "", r.raw_name))


# --- overrides, review and quality ----------------------------------------------------


def load_overrides(path: Path | None = None) -> dict[str, str]:
    """The overrides seed: raw_name -> canonical id, or 'distinct' to keep a name apart."""
    path = path or core_settings.seeds_dir() / OVERRIDE_SEED
    with open(path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if (row.get("raw_name") or "").strip()]
    overrides: dict[str, str] = {}
    for row in rows:
        raw, target = row["raw_name"].strip(), (row.get("canonical_id") or "").strip()
        if not target:
            raise ValueError(f"{path.name}: {raw!r} has no canonical_id (a supplier's id, or 'distinct')")
        if overrides.get(raw, target) != target:  # resolve() also refuses two spellings of one name
            raise ValueError(f"{path.name}: {raw!r} is overridden twice, to {overrides[raw]!r} and {target!r}")
        overrides[raw] = target
    return overrides


MATCH_TABLE_COLUMNS = tuple(MatchRow.__dataclass_fields__)


def write_match_table(rows: Iterable[MatchRow], path: Path) -> None:
    """The match table as CSV, for a person to review (councils joined with '|')."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(MATCH_TABLE_COLUMNS)
        for row in rows:
            values = [getattr(row, column) for column in MATCH_TABLE_COLUMNS]
            writer.writerow(["|".join(v) if isinstance(v, tuple) else ("" if v is None else v) for v in values])


@dataclass(frozen=True)
class PairwiseScores:
    items: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def pairwise_scores(labelled: Iterable[tuple[str | None, str]]) -> PairwiseScores:
    """Precision and recall over pairs of items, each given as (predicted id, true id).

    A pair is predicted the same supplier when both items have one predicted id (an
    item with none is alone), and is truly the same when their true ids are equal.
    """
    predicted: dict[object, int] = defaultdict(int)
    true: dict[str, int] = defaultdict(int)
    both: dict[tuple, int] = defaultdict(int)
    items = 0
    for items, (guess, truth) in enumerate(labelled, start=1):
        guess_id = guess if guess is not None else ("alone", items)
        predicted[guess_id] += 1
        true[truth] += 1
        both[guess_id, truth] += 1

    def pairs(counts: dict) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    return PairwiseScores(items, pairs(predicted), pairs(true), pairs(both))
