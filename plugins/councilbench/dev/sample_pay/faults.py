"""Named mistakes a council's pay deposit can have, applied to a draft of its file.

Each is a plausible slip of an HR export: a column that names the post holders, an
hourly or monthly figure in the annual salary column, weekly hours in the FTE column,
vacant posts with headcount 0, the council's own job codes as role ids, and so on. Every
one should be rejected (issue 16 item 3); `checks` names the validator's check expected
to object. `touched` on the draft keeps the posts each fault changed (indexes into the
file's posts; the spreadsheet row is index + 2)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from councilbench.core import catalogue
from councilbench.dev.sample_pay.layouts import Sheet, cells_of, render
from councilbench.dev.sample_pay.posts import HOURS_A_WEEK, Post, council_posts
from councilbench.dev.sample_pay.profiles import Profile, profile
from councilbench.pay.catalogue import pay_years, roles, spine

WEEKS_A_YEAR = 52.143
FIRST_NAMES = ("Aisha", "Daniel", "Sarah", "Mohammed", "Emma", "James", "Priya", "Thomas", "Chloe", "Liam", "Grace",
               "Oliver", "Fatima", "Jack", "Hannah", "Ryan", "Sophie", "Arjun", "Megan", "Kieran")  # fmt: skip
SURNAMES = ("Smith", "Jones", "Khan", "Patel", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Hussain",
            "Roberts", "Walker", "Wright", "Thompson", "Ahmed", "Green", "Hall", "Wood", "Clarke")  # fmt: skip
#: National Insurance number prefixes HMRC issues (never D, F, I, Q, U or V first, nor O second).
NI_PREFIXES = ("AB", "CE", "JC", "JH", "JK", "JL", "KA", "KP", "NH", "NP", "NW", "PA", "PE", "SH", "SK", "TM",
               "WK", "WP", "YH", "YR")  # fmt: skip


@dataclass
class Draft:
    """One council's file for one pay year on its way to bytes; faults change it."""

    p: Profile
    pay_year: str
    seed: int
    scale: float
    posts: list[Post]  # the truth, in file order
    rows: list[dict[str, object]]  # the cells to write, one dict per post
    body: str  # the council whose posts these are (another one's, for other_council)
    extra: list[tuple[str, list]] = field(default_factory=list)  # columns the deposit does not have
    touched: dict[str, list[int]] = field(default_factory=dict)

    def rng(self, fault: str) -> random.Random:
        return random.Random(f"pay-fault:{self.seed}:{self.p.council.code}:{self.pay_year}:{fault}")

    def pick(self, fault: str, n: int, where: Callable[[Post], bool] = lambda _: True) -> list[int]:
        """n posts for a fault to change (fewer if fewer qualify), recorded as touched."""
        candidates = [i for i, post in enumerate(self.posts) if where(post)]
        chosen = sorted(self.rng(fault).sample(candidates, min(n, len(candidates))))
        self.touched.setdefault(fault, []).extend(chosen)
        return chosen

    def sheet(self, xlsx: bool = False) -> Sheet:
        return render(profile(self.body, self.seed), self.rows, self.extra, xlsx=xlsx)


@dataclass(frozen=True)
class Fault:
    """A mistake a pay deposit can have. outcome: what the platform should do with the
    file; checks: the checks expected to object (the reader's personal_data, the
    council_pay suite's annual_salary, salary_scp, fte, headcount, role,
    no_duplicate_posts, council and pay_year). stage orders them: posts, then cells."""

    name: str
    description: str
    outcome: str
    checks: tuple[str, ...]
    stage: int
    apply: Callable[[Draft], None]


# --- personal data: a column that names the people in the posts ----------------------------------


def _every_row(d: Draft, fault: str) -> None:
    d.touched[fault] = list(range(len(d.posts)))


def _employee_names(d: Draft) -> None:
    rng = d.rng("employee_names")
    d.extra.append(("Employee Name", [f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}" for _ in d.rows]))
    _every_row(d, "employee_names")


def _ni_numbers(d: Draft) -> None:
    rng = d.rng("ni_numbers")
    values = [f"{rng.choice(NI_PREFIXES)}{rng.randrange(10**6):06d}{rng.choice('ABCD')}" for _ in d.rows]
    d.extra.append(("NI Number", values))
    _every_row(d, "ni_numbers")


def _dates_of_birth(d: Draft) -> None:
    rng = d.rng("dates_of_birth")
    april = dt.date(int(d.pay_year[:4]), 4, 1)
    births = [april - dt.timedelta(days=rng.randrange(18 * 365 + 5, 66 * 365)) for _ in d.rows]
    d.extra.append(("Date of Birth", [f"{b:%d/%m/%Y}" for b in births]))
    _every_row(d, "dates_of_birth")


def _employee_numbers(d: Draft) -> None:
    rng = d.rng("employee_numbers")
    numbers = rng.sample(range(1_000_000, 9_999_999), len(d.rows))
    d.extra.append(("Employee Number", [str(n) for n in numbers]))
    _every_row(d, "employee_numbers")


# --- salaries, hours and headcounts ------------------------------------------------------------------


def _hourly_rates(d: Draft) -> None:
    for row in d.rows:
        row["fte_salary"] = round(float(row["fte_salary"]) / (WEEKS_A_YEAR * HOURS_A_WEEK), 2)
    _every_row(d, "hourly_rates")


def _monthly_salaries(d: Draft) -> None:
    for row in d.rows:
        row["fte_salary"] = round(float(row["fte_salary"]) / 12, 2)
    _every_row(d, "monthly_salaries")


def _fte_as_hours(d: Draft) -> None:
    for row in d.rows:
        row["fte"] = round(float(row["fte"]) * HOURS_A_WEEK, 2)
    _every_row(d, "fte_as_hours")


def _fte_above_one(d: Draft) -> None:
    """The post's total FTE over its incumbents where it has several, else overtime counted in."""
    for i in d.pick("fte_above_one", 3, lambda x: x.fte == 1.0 or x.fte * x.headcount > 1):
        post = d.posts[i]
        d.rows[i]["fte"] = round(post.fte * post.headcount, 4) if post.fte * post.headcount > 1 else 1.2


def _headcount_zero(d: Draft) -> None:
    for i in d.pick("headcount_zero", 3, lambda x: x.headcount == 1):
        d.rows[i]["headcount"] = 0


def _salary_outside_range(d: Draft) -> None:
    """The market supplement (or £3,000 of one) added into the salary: above the grade's top."""
    points = spine(d.pay_year)
    for i in d.pick("salary_outside_range", 3):
        post = d.posts[i]
        d.rows[i]["fte_salary"] = points[post.scp_max] + max(3_000.0, post.market_supplement)


# --- roles and post ids -------------------------------------------------------------------------------


def _unknown_role_id(d: Draft) -> None:
    """The council's own job codes, and one catalogue id misspelt."""
    known = roles()
    for n, i in enumerate(d.pick("unknown_role_id", 3)):
        misspelt = d.posts[i].role_id.replace("_", "", 1)
        d.rows[i]["role_id"] = (
            misspelt if n == 0 and misspelt not in known else f"{d.p.prefix}-JC{1000 + 37 * n + i % 37}"
        )


def _missing_role_id(d: Draft) -> None:
    """Role id left blank; the job title one of the role's usual titles, for the validator
    to suggest the role from."""
    rng = d.rng("missing_role_id:titles")
    for i in d.pick("missing_role_id", 5, lambda x: bool(roles()[x.role_id].synonyms)):
        d.rows[i]["role_id"] = ""
        d.rows[i]["job_title"] = rng.choice(roles()[d.posts[i].role_id].synonyms)


def _duplicate_post_ids(d: Draft) -> None:
    """Three posts given the id of the post above them (a post split, the id copied down)."""
    for i in d.pick("duplicate_post_ids", 3, lambda x: x is not d.posts[0]):
        d.rows[i]["post_id"] = d.rows[i - 1]["post_id"]


# --- whose file, which year ------------------------------------------------------------------------------


def other_council_for(code: str) -> str:
    """The council whose file is served by mistake: the next one by GSS code."""
    codes = sorted(catalogue.councils())
    return codes[(codes.index(code) + 1) % len(codes)]


def _replace_posts(d: Draft, posts: list[Post], fault: str) -> None:
    d.posts, d.rows = posts, [cells_of(x) for x in posts]
    _every_row(d, fault)


def _other_council(d: Draft) -> None:
    d.body = other_council_for(d.p.council.code)
    _replace_posts(d, council_posts(d.body, d.pay_year, seed=d.seed, scale=d.scale), "other_council")


def _previous_pay_year(d: Draft) -> None:
    years = pay_years()
    at = years.index(d.pay_year)
    if at == 0:
        raise ValueError(f"previous_pay_year: the spine holds no pay year before {d.pay_year}")
    code = d.p.council.code
    _replace_posts(d, council_posts(code, years[at - 1], seed=d.seed, scale=d.scale), "previous_pay_year")


_F = Fault
FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        _F("employee_names", "a column 'Employee Name' naming each post's holder", "rejected", ("personal_data",), 1, _employee_names),
        _F("ni_numbers", "a column 'NI Number' with the holders' National Insurance numbers", "rejected", ("personal_data",), 1, _ni_numbers),
        _F("dates_of_birth", "a column 'Date of Birth' with the holders' dates of birth", "rejected", ("personal_data",), 1, _dates_of_birth),
        _F("employee_numbers", "a column 'Employee Number' with the holders' payroll numbers", "rejected", ("personal_data",), 1, _employee_numbers),
        _F("hourly_rates", "the hourly rate in the annual salary column (£12.66, not £24,413)", "rejected", ("annual_salary",), 1, _hourly_rates),
        _F("monthly_salaries", "monthly salaries in the annual salary column (£2,034.42, not £24,413)", "rejected", ("annual_salary",), 1, _monthly_salaries),
        _F("fte_as_hours", "weekly hours in the FTE column (37, 18.5)", "rejected", ("fte",), 1, _fte_as_hours),
        _F("fte_above_one", "three posts with an FTE above 1 (all incumbents' FTE together, or overtime counted in)", "rejected", ("fte",), 1, _fte_above_one),
        _F("headcount_zero", "three vacant posts listed with headcount 0", "rejected", ("headcount",), 1, _headcount_zero),
        _F("salary_outside_range", "three salaries above the top of their SCP range for the pay year (a supplement added in)", "rejected", ("salary_scp",), 1, _salary_outside_range),
        _F("unknown_role_id", "three role ids the catalogue does not have (the council's job codes, one id misspelt)", "rejected", ("role",), 1, _unknown_role_id),
        _F("missing_role_id", "five posts with no role id, their job titles ones the catalogue knows", "rejected", ("role",), 1, _missing_role_id),
        _F("duplicate_post_ids", "three posts with the post id of the post above them", "rejected", ("no_duplicate_posts",), 1, _duplicate_post_ids),
        _F("other_council", "another council's file served at this council's address", "rejected", ("council",), 0, _other_council),
        _F("previous_pay_year", "last pay year's file deposited again", "rejected", ("pay_year",), 0, _previous_pay_year),
    )
}  # fmt: skip
