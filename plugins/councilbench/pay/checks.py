"""The checks of a pay deposit beyond what its reader found, in ONE Great Expectations
run for a whole batch (expectations/council_pay.json); their words are explain.py's.

The reader (read.py) says whether the file could be read at all (`readable`), whether it
holds personal data (`personal_data`: then nothing of it reaches here), whether its
columns are there (`columns`) and its cells read (`values`). Judged here, with the
deposit's context (its pay year and its council) and the catalogue (the role catalogue
and the NJC pay spine of the pay year, pay/catalogue.py):

- `annual_salary`: an FTE salary that looks hourly (under £100), weekly (under £1,000)
  or monthly (£1,000 to £6,000 where the spine says the post pays well over twice that a
  year) is rejected with that explanation;
- `scp_points`: SCP minimum and maximum both given (or both blank: a post off the NJC
  spine), min <= max, and some point of the range on the pay year's spine (points are
  deleted over the years: one inside the range is skipped);
- `salary_scp`: the FTE salary inside the salaries of its SCP range on the pay year's
  spine (1% either side for rounding);
- `fte`: in (0, 1]; an FTE above 1 that looks like weekly hours says so;
- `headcount`: 1 or more;
- `role`: a role id of the catalogue; when it is missing or unknown, the message
  suggests the closest catalogue roles for the job title (roles.py) rather than guessing;
- `no_duplicate_posts`: no post id twice;
- `pay_year`: the file's pay year is the deposit's;
- `council`: the council the file names is the council whose source served it;
- `contract_type`: permanent, fixed_term, casual or apprentice when given;
- `spine` (a warning, outside GX): the pay year's spine is not in the catalogue yet (the
  NJC award may not be agreed), so salaries were not checked against their SCPs.

Each failing check says which rows, what was wrong, what is accepted and how to fix it.
Messages quote the council's own figures only: a deposit is only ever judged, and
worded, on its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from councilbench.ingest import expectations
from councilbench.ingest.checks import CheckOutcome
from councilbench.ingest.councils import council_named
from councilbench.pay import explain
from councilbench.pay.result import PayRead
from councilbench.pay.values import CONTRACT_TYPES
from councilbench.pay.words import failing

SUITE = "council_pay"


@dataclass
class PayFile:
    """One deposit of a batch: what its reader made of it, and what it was fetched as."""

    read: PayRead
    council_code: str
    pay_year: str


@dataclass(frozen=True)
class Limits:
    """The suite's thresholds (its meta)."""

    scp_tolerance: float
    hourly_below: float
    weekly_below: float
    monthly_up_to: float

    @classmethod
    def of(cls, suite: dict) -> Limits:
        meta = suite["meta"]
        return cls(*(float(meta[k]) for k in ("scp_tolerance", "hourly_below", "weekly_below", "monthly_up_to")))


# --- the spine and the councils -----------------------------------------------------------


@lru_cache(maxsize=16)
def year_spine(pay_year: str) -> dict[int, float] | None:
    """SCP -> annual salary for the pay year; None when the catalogue has no spine for it."""
    from councilbench.pay.catalogue import spine

    try:
        return dict(spine(pay_year))
    except ValueError:
        return None


# --- one row per post, for the one GX run --------------------------------------------------


def _basis(salary: float | None, floor_salary: float, limits: Limits) -> str | None:
    if salary is None:
        return None
    if salary < limits.hourly_below:
        return "hourly"
    if salary < limits.weekly_below:
        return "weekly"
    if salary <= limits.monthly_up_to and floor_salary > 2 * limits.monthly_up_to:
        return "monthly"
    return "annual"


def _scp_range(low, high, pay_year: str, points) -> tuple[str | None, tuple[float, float] | None]:
    """(problem, the salaries of the range's lowest and highest points on the spine).
    A deleted point inside the range is skipped, as councils move staff up to the next
    (catalogue.salary_range); a range with no point on the spine is a problem."""
    from councilbench.pay.catalogue import salary_range

    if (low is None and high is None) or points is None:
        return None, None
    if low is None or high is None:
        return "one_missing", None
    if low > high:
        return "min_above_max", None
    try:
        return None, salary_range(pay_year, low, high)
    except ValueError:
        return "not_on_spine", None


def _salary_columns(f: PayFile, limits: Limits) -> dict[str, list]:
    points = year_spine(f.pay_year)
    lowest = min(points.values()) if points else 2 * limits.monthly_up_to + 1
    frame = f.read.frame
    out: dict[str, list] = {c: [] for c in ("salary_basis", "salary_floor", "salary_ceiling", "scp_problem")}
    for low, high, salary in zip(frame["scp_min"], frame["scp_max"], frame["fte_salary"], strict=True):
        salary = float(salary) if salary is not None else None
        problem, band = _scp_range(low, high, f.pay_year, points)
        basis = _basis(salary, band[0] if band else lowest, limits)
        out["salary_basis"].append(basis)
        out["scp_problem"].append(problem)
        judged = band is not None and basis == "annual"
        out["salary_floor"].append(band[0] * (1 - limits.scp_tolerance) if judged else None)
        out["salary_ceiling"].append(band[1] * (1 + limits.scp_tolerance) if judged else None)
    return out


def _or_none(series):
    """Blank text as None: a missing value, which pair rules skip."""
    return series.map(lambda v: v if v not in ("", None) else None)


def _numbers(series):
    import pandas as pd

    return pd.to_numeric(series.map(lambda v: None if v is None else float(v)))


def _file_rows(key: int, f: PayFile, limits: Limits):
    """The deposit's posts with what the suite reads (council_pay.json's derived columns),
    and the post's own words the messages quote (job title, SCPs, council as written)."""
    import pandas as pd

    frame = f.read.frame
    councils = {c: council_named(c) for c in frame["council_code"].unique()}
    return pd.DataFrame(
        {
            "file_key": key,
            "row_number": frame["row_number"],
            "post_id": _or_none(frame["post_id"]),
            "role_id": frame["role_id"],
            "fte_salary": _numbers(frame["fte_salary"]),
            "fte": _numbers(frame["fte"]),
            "headcount": _numbers(frame["headcount"]),
            **_salary_columns(f, limits),
            "pay_year": _or_none(frame["pay_year"]),
            "expected_pay_year": f.pay_year,
            "file_council": frame["council_code"].map(councils),
            "expected_council_code": f.council_code,
            "contract_type": _or_none(frame["contract_type"]),
            # not read by the suite: for the messages
            "job_title": frame["job_title"],
            "scp_min": frame["scp_min"],
            "scp_max": frame["scp_max"],
            "council_written": frame["council_code"],
        }
    )


def gx_checks(files: list[PayFile]) -> list[list[CheckOutcome]]:
    """The suite's checks for every deposit, in ONE GX run over all their posts, then
    `spine`. A deposit with no posts read (its reader failed it) gets none: the reader's
    finding says why."""
    import pandas as pd

    suite = expectations.load_suite(SUITE)
    limits = Limits.of(suite)
    out: list[list[CheckOutcome]] = [[] for _ in files]
    parts = [_file_rows(k, f, limits) for k, f in enumerate(files) if f.read.frame is not None]
    if not parts:
        return out
    frame = pd.concat(parts, ignore_index=True)
    parameters = {"role_ids": sorted(_role_ids()), "contract_types": list(CONTRACT_TYPES)}
    for group in expectations.by_check(expectations.run_suite(frame, suite, parameters)):
        bad = frame.loc[group.failing] if group.failing else frame.iloc[:0]
        bad_by_file = dict(list(bad.groupby("file_key")))
        for k, f in enumerate(files):
            if f.read.frame is not None:
                out[k].append(explain.WORDS[group.check](f, bad_by_file.get(k), limits))
    for k, f in enumerate(files):
        if f.read.frame is not None:
            out[k].append(spine_check(f))
    return out


def _role_ids() -> set[str]:
    from councilbench.pay.catalogue import roles as catalogue_roles

    return set(catalogue_roles())


def spine_check(f: PayFile) -> CheckOutcome:
    points = year_spine(f.pay_year)
    if points is None:
        return failing(
            "spine",
            f"The NJC pay spine for {f.pay_year} is not in the catalogue yet (the pay award may not be agreed), so "
            f"the salaries were not checked against their SCPs. Loaded as they are; they are checked when a "
            f"corrected file is deposited after the spine is added.",
            [],
            severity="warn",
        )
    return CheckOutcome("spine", "warn", "pass", f"Salaries checked against {explain.spine_words(f.pay_year, points)}.")


#: The checks of a deposit, in the order a verdict lists them (the reader's first).
CHECKS = ("readable", "personal_data", "columns", "values", *explain.WORDS, "spine")
