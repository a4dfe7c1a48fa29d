"""Catalogue roles that may fit a council's own job title, for a rejection message.

When a post has no role id (or one the catalogue does not know), the validator does not
guess: it suggests the catalogue roles whose names or synonyms (the job titles councils
use for them, dbt_project/seeds/pay_roles.csv) are closest to the job title, by rapidfuzz's
token-set and token-sort ratios after the same lower-casing and punctuation rules as headers, and leaves
the choice to the council's HR lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Suggestions shown for a job title.
TOP = 3
#: Below this score (0-100) a role is no suggestion at all.
MIN_SCORE = 60
#: A title sharing no word with the role's must be this close (a misspelling, 'Socail worker').
MIN_SCORE_NO_SHARED_WORD = 80

_NOT_WORD = re.compile(r"[^a-z0-9]+")
#: Words in so many job titles that they say nothing about which role it is.
_FILLER = frozenset(("and", "of", "the", "for", "in", "senior", "principal", "assistant", "officer", "i", "ii", "iii"))


@dataclass(frozen=True)
class Suggestion:
    role_id: str
    role_name: str
    score: float

    def __str__(self) -> str:
        return f"{self.role_id} ({self.role_name})"


def title_key(title: str) -> str:
    """ "Social Worker - Children's" -> 'social worker children s'."""
    return _NOT_WORD.sub(" ", (title or "").lower().replace("&", " and ")).strip()


@lru_cache(maxsize=1)
def _choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(title keys, their role ids): every role's name and synonyms."""
    from councilbench.pay.catalogue import roles

    keys, ids = [], []
    for role in roles().values():
        for title in role.titles:
            keys.append(title_key(title))
            ids.append(role.role_id)
    return tuple(keys), tuple(ids)


def suggest(job_title: str, top: int = TOP) -> list[Suggestion]:
    """The catalogue roles closest to a job title, best first (at most `top`, each role once)."""
    return suggest_many([job_title], top)[job_title]


def suggest_many(job_titles: list[str], top: int = TOP) -> dict[str, list[Suggestion]]:
    """Suggestions for many job titles in one scoring pass (a file's distinct titles)."""
    from rapidfuzz import fuzz, process

    from councilbench.pay.catalogue import roles

    catalogue = roles()
    keys, ids = _choices()
    titles = sorted(set(job_titles))
    if not titles:
        return {}
    queries = [title_key(t) for t in titles]
    # The mean of two ratios: token-set finds the title inside a longer synonym ('Planner'
    # in 'Senior Planner'), token-sort then ranks the closest whole title first.
    scores = (
        process.cdist(queries, keys, scorer=fuzz.token_set_ratio)
        + process.cdist(queries, keys, scorer=fuzz.token_sort_ratio)
    ) / 2
    out: dict[str, list[Suggestion]] = {}
    for title, query, row in zip(titles, queries, scores, strict=True):
        best: dict[str, float] = {}
        for i in row.argsort()[::-1]:
            score = float(row[i])
            if score < MIN_SCORE or len(best) == top:
                break
            if ids[i] not in best and _meaningful(query, keys[i], score):
                best[ids[i]] = score
        out[title] = [Suggestion(r, catalogue[r].role_name, s) for r, s in best.items()]
    return out


def _meaningful(query: str, key: str, score: float) -> bool:
    """A match on filler words alone ('officer' in both) is no suggestion, nor a loose
    likeness of letters with no word in common ('Officer' and 'Carpenter')."""
    shared = set(query.split()) & set(key.split())
    return bool(shared - _FILLER) if shared else score >= MIN_SCORE_NO_SHARED_WORD
