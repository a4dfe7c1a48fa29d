"""The role catalogue and the NJC pay spine, read from the dbt seeds pay_roles.csv and
pay_spine.csv (the same files dbt loads into the warehouse), so a deposit can be checked
on a laptop with no warehouse at all.

    roles()["childrens_social_worker"].synonyms
    spine("2025-26")[29]                      # £ a year at SCP 29 in 2025-26
    scp_for_salary("2025-26", 34_560.0)       # the nearest point
    salary_range("2026-27", 2, 6)             # SCP 2 is gone from April 2026: SCP 3 to 6
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from councilbench.core import settings

ROLES_SEED = "pay_roles.csv"
SPINE_SEED = "pay_spine.csv"
PAY_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Role:
    role_id: str
    role_name: str
    job_family: str
    typical_scp_min: int
    typical_scp_max: int
    synonyms: tuple[str, ...]  # job titles councils give the role

    @property
    def titles(self) -> tuple[str, ...]:
        """Every title that names the role: its own name first, then the synonyms."""
        return (self.role_name, *self.synonyms)


def _rows(name: str) -> list[dict]:
    with open(Path(settings.seeds_dir()) / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def roles() -> dict[str, Role]:
    """role_id -> Role, in the seed's order (job family by job family)."""
    out = {}
    for r in _rows(ROLES_SEED):
        role = Role(
            role_id=r["role_id"].strip(),
            role_name=r["role_name"].strip(),
            job_family=r["job_family"].strip(),
            typical_scp_min=int(r["typical_scp_min"]),
            typical_scp_max=int(r["typical_scp_max"]),
            synonyms=tuple(s.strip() for s in (r["synonyms"] or "").split("|") if s.strip()),
        )
        if role.typical_scp_min > role.typical_scp_max:
            raise ValueError(f"{ROLES_SEED}: {role.role_id} has typical_scp_min above typical_scp_max")
        out[role.role_id] = role
    return out


@lru_cache(maxsize=1)
def _spines() -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for r in _rows(SPINE_SEED):
        out.setdefault(r["pay_year"].strip(), {})[int(r["scp"])] = float(r["annual_salary"])
    return {year: dict(sorted(points.items())) for year, points in sorted(out.items())}


def pay_years() -> list[str]:
    """The pay years the spine holds, oldest first ('2023-24', ...)."""
    return list(_spines())


def spine(pay_year: str) -> dict[int, float]:
    """SCP -> full-time annual salary (£) in that pay year, lowest point first; a point
    deleted by then is absent. A copy: changing it changes nothing here."""
    points = _spines().get((pay_year or "").strip())
    if points is None:
        raise ValueError(_unknown_year(pay_year))
    return dict(points)


def _unknown_year(pay_year: str) -> str:
    known = ", ".join(pay_years())
    m = PAY_YEAR.match((pay_year or "").strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        return f"{pay_year!r} is not a pay year: write it as YYYY-YY, e.g. 2025-26 (the NJC pay spine holds {known})"
    return f"the NJC pay spine has no pay year {pay_year} (it holds {known})"


def scp_for_salary(pay_year: str, salary: float) -> int:
    """The spine point whose salary is nearest (the lower point on a tie); below the
    bottom or above the top of the spine, the end point."""
    points = spine(pay_year)
    return min(points, key=lambda scp: (abs(points[scp] - salary), scp))


def salary_range(pay_year: str, scp_min: int, scp_max: int) -> tuple[float, float]:
    """The salaries of the lowest and highest points of SCP scp_min..scp_max that exist
    in that pay year (a deleted point is skipped, as councils move staff up to the next)."""
    if scp_min > scp_max:
        raise ValueError(f"SCP range {scp_min}-{scp_max} runs backwards: the minimum is above the maximum")
    points = spine(pay_year)
    inside = [scp for scp in points if scp_min <= scp <= scp_max]
    if not inside:
        low, high = next(iter(points)), next(reversed(points))
        raise ValueError(f"no point of SCP {scp_min}-{scp_max} is on the {pay_year} spine (it runs {low} to {high})")
    return points[inside[0]], points[inside[-1]]
