"""Which rows of a gender pay gap download are the councils': by EmployerId, through the
registry's ``gpg_employer_id``, never by name.

A council is matched when its registry id is in the file and the employer there is named
like the council (the same distinctive words once "council", "borough", "city" and the
like are set aside, in EmployerName or CurrentName). Otherwise it is reported as not
matched, with the reason, and none of its figures are taken: no id in the registry, an
id the file does not hold (fewer than 250 staff that year, not reported yet, or a wrong
id), or an id whose employer is someone else (a wrong id: loading it would give the
council another employer's gap).

Names only *propose*: ``candidates`` lists the employers named like a council, for a
person to confirm before the id goes into the registry (``councilbench gpg-match``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from councilbench.core.catalogue import Council

#: Words that say what kind of body an employer is, not which one.
GENERIC_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "council",
        "councils",
        "city",
        "borough",
        "metropolitan",
        "district",
        "county",
        "unitary",
        "authority",
        "mbc",
        "bc",
        "dc",
        "cc",
        "corporation",
        "royal",
    ]
)

MATCHED = "matched"
NO_ID = "no_employer_id"
ID_NOT_IN_FILE = "id_not_in_file"
NAME_DIFFERS = "name_differs"

REASONS = {
    NO_ID: "no gpg_employer_id in the registry",
    ID_NOT_IN_FILE: "EmployerId {employer_id} is not in the file (fewer than 250 staff, not reported yet, or a wrong id)",
    NAME_DIFFERS: "EmployerId {employer_id} is {found!r} in the file, not this council: check the registry's id",
}


def distinctive_words(name: str | None) -> frozenset[str]:
    """'Stoke-on-Trent City Council' -> {'stoke', 'on', 'trent'}; '&' and 'and' alike."""
    return frozenset(re.findall(r"[a-z0-9]+", (name or "").lower())) - GENERIC_WORDS


def named_like(council: Council, row: dict) -> bool:
    wanted = distinctive_words(council.name)
    return any(distinctive_words(row.get(col)) == wanted for col in ("EmployerName", "CurrentName"))


@dataclass
class CouncilMatch:
    council: Council
    status: str  # matched | no_employer_id | id_not_in_file | name_differs
    employer_id: str = ""
    index: int | None = None  # the row's position in GpgFile.rows when the id is in the file
    found: str = ""  # the employer's name at that id

    @property
    def matched(self) -> bool:
        return self.status == MATCHED

    @property
    def reason(self) -> str:
        return "" if self.matched else REASONS[self.status].format(employer_id=self.employer_id, found=self.found)


def match_councils(rows: list[dict], councils: dict[str, Council]) -> list[CouncilMatch]:
    """Every council of the registry, in registry order, matched or not (and why)."""
    by_id: dict[str, int] = {}
    for i, row in enumerate(rows):
        by_id.setdefault((row.get("EmployerId") or "").strip(), i)
    out = []
    for council in councils.values():
        employer_id = (council.gpg_employer_id or "").strip()
        if not employer_id:
            out.append(CouncilMatch(council, NO_ID))
            continue
        i = by_id.get(employer_id)
        if i is None:
            out.append(CouncilMatch(council, ID_NOT_IN_FILE, employer_id))
            continue
        row = rows[i]
        status = MATCHED if named_like(council, row) else NAME_DIFFERS
        out.append(CouncilMatch(council, status, employer_id, i, row.get("EmployerName") or ""))
    return out


@dataclass
class Candidates:
    """Employers a council might be, for a person to confirm: exact (the same distinctive
    words) first, then partial (every word of the council's name among the employer's)."""

    council: Council
    exact: list[dict] = field(default_factory=list)
    partial: list[dict] = field(default_factory=list)


def candidates(rows: list[dict], councils: dict[str, Council], *, limit: int = 5) -> list[Candidates]:
    words = [
        (row, distinctive_words(row.get("EmployerName")) | distinctive_words(row.get("CurrentName"))) for row in rows
    ]
    out = []
    for council in councils.values():
        wanted = distinctive_words(council.name)
        found = Candidates(council)
        for row, have in words:
            if named_like(council, row):
                found.exact.append(row)
            elif wanted and wanted <= have:
                found.partial.append(row)
        found.partial = sorted(found.partial, key=lambda r: len(distinctive_words(r.get("EmployerName"))))[:limit]
        out.append(found)
    return out
