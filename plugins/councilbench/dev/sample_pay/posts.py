"""A council's posts in a pay year, with the truth about each.

The establishment (which posts, their roles, titles, hours and incumbents) is a pure
function of (seed, council, scale); a pay year places it on that year's spine: each post's
grade is the council's band holding its point (bands clamped to the points the year still
has: SCP 1 is gone from April 2024, SCP 2 from April 2026), and its incumbents move up a
point a year until the top of the grade, so the same post is paid more the year after."""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from councilbench.dev.sample_pay.profiles import (
    ALLOWANCE_FAMILIES,
    BULK,
    CASUAL_ROLES,
    OTHER_ALLOWANCE,
    OTHER_PART_TIME,
    PART_TIME,
    SEED,
    SUFFIXES,
    Band,
    Profile,
    post_count,
    profile,
)
from councilbench.pay.catalogue import pay_years, roles, spine

HOURS_A_WEEK = 37


class Post(NamedTuple):
    """One post as the council's file should hold it: every value true."""

    council_code: str
    pay_year: str
    post_id: str
    job_title: str
    role_id: str
    grade: str
    scp_min: int
    scp_max: int
    scp: int  # the truth: the point its incumbents are paid on
    fte_salary: float  # £ a year full time: the spine's salary at `scp`
    fte: float  # per incumbent
    headcount: int
    allowances: float
    market_supplement: float
    contract_type: str

    @property
    def incumbents_fte(self) -> float:
        return self.fte * self.headcount


class Slot(NamedTuple):
    """A post of the establishment, whatever the year."""

    post_id: str
    role_id: str
    job_title: str
    point: int  # where the role's grade sits for this post (before the year's bands)
    step: int  # points above the bottom of the grade in the first pay year
    fte: float
    headcount: int
    contract_type: str
    allowances: float
    market_supplement: float


def _allocate(total: int, weights: tuple[tuple[str, float], ...]) -> list[tuple[str, int]]:
    """Split `total` posts over the roles by weight (largest remainder: the sum is exact)."""
    whole = sum(w for _, w in weights)
    shares = [(role_id, total * w / whole) for role_id, w in weights]
    counts = {role_id: int(share) for role_id, share in shares}
    left = total - sum(counts.values())
    for role_id, _ in sorted(shares, key=lambda x: (int(x[1]) - x[1], x[0]))[:left]:
        counts[role_id] += 1
    return [(role_id, counts[role_id]) for role_id, _ in weights if counts[role_id]]


def _contract(role_id: str, top: int, rng: random.Random) -> str:
    draw = rng.random()
    if top <= 25 and draw < 0.025:
        return "apprentice"
    if role_id in CASUAL_ROLES and draw < 0.12:
        return "casual"
    return "fixed_term" if draw > 0.94 else "permanent"


def _fte(role_id: str, contract: str, rng: random.Random) -> float:
    if contract == "casual":  # the average hours a week the incumbent works
        return round(rng.choice((4, 6, 8, 10, 12)) / HOURS_A_WEEK, 4)
    share, hours = PART_TIME.get(role_id, OTHER_PART_TIME)
    return round(rng.choice(hours) / HOURS_A_WEEK, 4) if rng.random() < share else 1.0


def _headcount(role_id: str, top: int, rng: random.Random) -> int:
    """Mostly one; a post for many (the council's '12 refuse loaders') in the bulk roles."""
    if BULK.get(role_id, 0) >= 3 and top <= 17 and rng.random() < 0.12:
        return min(20, 2 + int(rng.expovariate(1 / 3)))
    return rng.choice((2, 3)) if rng.random() < 0.02 else 1


def _title(p: Profile, role_id: str, rng: random.Random) -> str:
    title = rng.choice(p.titles[role_id])
    if rng.random() < p.suffix_share:
        place = rng.choice(SUFFIXES)
        title = f"{title} - {place}" if rng.random() < 0.5 else f"{title} ({place})"
    return title.upper() if p.upper_case else title


def _slot(p: Profile, role_id: str, rng: random.Random) -> Slot:
    role = roles()[role_id]
    low, high = role.typical_scp_min + p.shifts[role_id], role.typical_scp_max + p.shifts[role_id]
    contract = _contract(role_id, role.typical_scp_max, rng)
    family = ALLOWANCE_FAMILIES.get(role.job_family, OTHER_ALLOWANCE)
    allowances = round(rng.uniform(*family)) if contract != "casual" and rng.random() < p.allowance_share else 0.0
    pays_supplement = role_id in p.supplements and contract in ("permanent", "fixed_term") and rng.random() < 0.85
    return Slot(
        post_id="",
        role_id=role_id,
        job_title=_title(p, role_id, rng),
        point=max(1, min(43, rng.randint(low, high))),
        step=0 if contract == "apprentice" else min(4, int(rng.expovariate(0.6))),
        fte=_fte(role_id, contract, rng),
        headcount=_headcount(role_id, role.typical_scp_max, rng),
        contract_type=contract,
        allowances=float(allowances),
        market_supplement=float(p.supplements[role_id]) if pays_supplement else 0.0,
    )


@lru_cache(maxsize=8)
def establishment(code: str, seed: int = SEED, scale: float = 1.0) -> tuple[Slot, ...]:
    """The council's posts in post id order, the same in every pay year."""
    p = profile(code, seed)
    rng = random.Random(f"pay-posts:{seed}:{code}:{scale}")
    slots = [
        _slot(p, role_id, rng) for role_id, n in _allocate(post_count(code, scale, seed), p.weights) for _ in range(n)
    ]
    rng.shuffle(slots)
    number = rng.randrange(1_000, 40_000)
    out = []
    for slot in slots:
        number += rng.choice((1, 1, 1, 2, 3))  # deleted posts leave gaps
        out.append(slot._replace(post_id=p.post_id_style.format(number, prefix=p.prefix)))
    return tuple(out)


def year_bands(p: Profile, pay_year: str) -> tuple[Band, ...]:
    """The council's grades on the year's spine: a grade whose points are all deleted is
    gone, and one that lost its bottom point starts at the spine's new bottom."""
    bottom = min(spine(pay_year))
    return tuple(Band(b.label, max(b.scp_min, bottom), b.scp_max) for b in p.bands if b.scp_max >= bottom)


def band_for(bands: tuple[Band, ...], point: int) -> Band:
    point = max(point, bands[0].scp_min)
    return next(b for b in bands if b.scp_min <= point <= b.scp_max)


def council_posts(code: str, pay_year: str, *, seed: int = SEED, scale: float = 1.0) -> list[Post]:
    """The council's posts in the pay year, in post id order."""
    p = profile(code, seed)
    points = spine(pay_year)
    bands = year_bands(p, pay_year)
    years_on = pay_years().index(pay_year)
    out = []
    for s in establishment(code, seed, scale):
        band = band_for(bands, s.point)
        step = 0 if s.contract_type == "apprentice" else s.step + years_on
        scp = min(band.scp_max, band.scp_min + step)
        out.append(
            Post(code, pay_year, s.post_id, s.job_title, s.role_id, band.label, band.scp_min, band.scp_max, scp,
                 points[scp], s.fte, s.headcount, s.allowances, s.market_supplement, s.contract_type)
        )  # fmt: skip
    return out
