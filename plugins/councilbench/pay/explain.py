"""The words of each failing check of a pay deposit (checks.py runs them): which rows,
what was wrong, what is accepted and how to fix it.

Each takes the deposit (checks.PayFile), its failing rows of the batch's GX frame (None
when it passed; the frame carries the post's own job title, SCPs and council as written)
and the suite's thresholds. Messages quote the deposit's own figures only: a deposit is
only ever judged, and worded, on its own rows, and its email goes to its own council.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from councilbench.core import catalogue
from councilbench.ingest.checks import CheckOutcome
from councilbench.pay import roles
from councilbench.pay.values import CONTRACT_TYPES
from councilbench.pay.words import failing, plural, pounds, quote_list, row_list, shown

if TYPE_CHECKING:
    from councilbench.pay.checks import Limits, PayFile

#: The NJC's full-time year: 37 hours a week, 52.143 weeks (hourly rate = annual / 1,929.29).
HOURS_A_YEAR = 37 * 52.143
WEEKS_A_YEAR = 52.143


def spine_words(pay_year: str, points: dict[int, float]) -> str:
    return f"the {pay_year} spine (points {min(points)} to {max(points)})"


def _row(r, column: str, found, accepted: str) -> dict:
    return {"row": int(r.row_number), "column": column, "found": str(found), "accepted": accepted}


def _it(rows) -> str:
    return "it" if len(rows) == 1 else "them"


def annual_salary(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("annual_salary", "fail", "pass", "Every FTE salary is an annual salary.")
    described, failing_rows = [], []
    for r in rows.itertuples():
        s = r.fte_salary
        if r.salary_basis == "hourly":
            why = f"looks like an hourly rate (over a full-time year of {HOURS_A_YEAR:,.0f} hours it is {pounds(round(s * HOURS_A_YEAR))})"
        elif r.salary_basis == "weekly":
            why = f"looks like a weekly wage (over {WEEKS_A_YEAR} weeks it is {pounds(round(s * WEEKS_A_YEAR))})"
        else:
            why = f"looks like a monthly salary (twelve of them are {pounds(round(s * 12))})"
        described.append(f"row {r.row_number} {pounds(s)} {why}")
        failing_rows.append(_row(r, "fte_salary", pounds(s), "the annual full-time salary in pounds"))
    message = (
        f"{plural(len(rows), 'FTE salary', 'FTE salaries')} {'is' if len(rows) == 1 else 'are'} not an annual "
        f"salary: {shown(described)}. The FTE salary column takes the post's annual full-time salary in pounds "
        f"(for a part-time post, what it would pay full time). Give the annual figure and deposit the file again."
    )
    return failing("annual_salary", message, failing_rows)


def scp_points(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    from councilbench.pay.catalogue import spine

    if rows is None:
        return CheckOutcome("scp_points", "fail", "pass", "Every SCP range is on the pay year's spine.")
    on = spine_words(f.pay_year, spine(f.pay_year))
    described, failing_rows = [], []
    for r in rows.itertuples():
        low, high = r.scp_min, r.scp_max
        if r.scp_problem == "one_missing":
            what = f"gives SCP {'minimum ' + str(low) if low is not None else 'maximum ' + str(high)} without the other"
        elif r.scp_problem == "not_on_spine":
            what = f"has SCP {low} to {high}, and no point of it is on {on}"
        else:
            what = f"has SCP minimum {low} above its maximum {high}"
        described.append(f"row {r.row_number} {what}")
        found = f"{low if low is not None else ''} to {high if high is not None else ''}"
        failing_rows.append(_row(r, "scp_min/scp_max", found, f"SCP minimum and maximum of a range on {on}"))
    message = (
        f"{plural(len(rows), 'post')} {'has' if len(rows) == 1 else 'have'} an SCP range that cannot be used: "
        f"{shown(described)}. Accepted: an SCP minimum and maximum, the minimum not above the maximum, with at least "
        f"one point of the range on {on} (a point deleted from the spine inside the range is skipped), or both "
        f"blank for a post off the spine. Correct {_it(rows)} and deposit the file again."
    )
    return failing("scp_points", message, failing_rows)


def salary_scp(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    from councilbench.pay.catalogue import salary_range

    if rows is None:
        return CheckOutcome("salary_scp", "fail", "pass", "Every FTE salary is inside its SCP range.")
    described, failing_rows = [], []
    for r in rows.itertuples():
        low, high = int(r.scp_min), int(r.scp_max)
        bottom, top = salary_range(f.pay_year, low, high)
        band = f"SCP {low} to {high} on the {f.pay_year} spine pays {pounds(bottom)} to {pounds(top)}"
        side = "below" if r.fte_salary < r.salary_floor else "above"
        described.append(f"row {r.row_number} {pounds(r.fte_salary)} is {side} its range ({band})")
        failing_rows.append(_row(r, "fte_salary", pounds(r.fte_salary), band))
    message = (
        f"{plural(len(rows), 'FTE salary', 'FTE salaries')} {'is' if len(rows) == 1 else 'are'} outside the "
        f"salaries of {'its' if len(rows) == 1 else 'their'} SCP range: {shown(described)}. Accepted: a salary "
        f"from the salary of the SCP minimum to that of the maximum ({limits.scp_tolerance:.0%} either side for "
        f"rounding). Check the SCPs and the salary (a salary with allowances or a market supplement added goes "
        f"in those columns, not in the FTE salary) and deposit the file again."
    )
    return failing("salary_scp", message, failing_rows)


def fte(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("fte", "fail", "pass", "Every FTE is above 0 and at most 1.")
    described = []
    for r in rows.itertuples():
        hours = " (it looks like weekly hours: FTE is hours ÷ 37)" if 1 < r.fte <= 48 else ""
        described.append(f"row {r.row_number} FTE {r.fte:g}{hours}")
    message = (
        f"{plural(len(rows), 'FTE')} {'is' if len(rows) == 1 else 'are'} not above 0 and at most 1: "
        f"{shown(described)}. Accepted: the FTE of each incumbent as a fraction of full time, such as 1 or 0.6 "
        f"(22.2 hours of 37). Correct {_it(rows)} and deposit the file again."
    )
    return failing("fte", message, [_row(r, "fte", f"{r.fte:g}", "above 0, at most 1") for r in rows.itertuples()])


def headcount(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("headcount", "fail", "pass", "Every post has a headcount of 1 or more.")
    message = (
        f"{plural(len(rows), 'post')} {'has' if len(rows) == 1 else 'have'} a headcount below 1: "
        f"{row_list(rows['row_number'].tolist())}. Accepted: the number of people in the post, 1 or more. A "
        f"vacant post is left out of the deposit. Correct or remove {_it(rows)} and deposit the file again."
    )
    return failing(
        "headcount", message, [_row(r, "headcount", f"{r.headcount:g}", "1 or more") for r in rows.itertuples()]
    )


def role(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("role", "fail", "pass", "Every post has a role id of the catalogue.")
    suggestions = roles.suggest_many(rows["job_title"].tolist())
    described, failing_rows = [], []
    for r in rows.itertuples():
        title, fits = r.job_title, suggestions[r.job_title]
        what = "has no role id" if not r.role_id else f"has role id '{r.role_id}', which is not in the catalogue"
        hint = f"it may be {' or '.join(map(str, fits))}" if fits else "no catalogue role is close: choose one"
        described.append(f"row {r.row_number} '{title}' {what} ({hint})")
        accepted = "a catalogue role id" + (f"; closest: {', '.join(map(str, fits))}" if fits else "")
        failing_rows.append(_row(r, "role_id", r.role_id or "(blank)", accepted))
    more = f"; and {len(rows) - 5} more" if len(rows) > 5 else ""
    message = (
        f"{plural(len(rows), 'post')} {'has' if len(rows) == 1 else 'have'} no role id of the catalogue: "
        f"{'; '.join(described[:5])}{more}. The role id says which common role a post is, so it can be compared: "
        f"nothing is guessed. Choose the catalogue role that fits each post (the suggestions are the roles whose "
        f"names are closest to the job title; the rows attached list them all) and deposit the file again."
    )
    return failing("role", message, failing_rows)


def no_duplicate_posts(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("no_duplicate_posts", "fail", "pass", "No post id appears twice.")
    by_post = rows.groupby("post_id")["row_number"].apply(list)
    described = [f"'{post}' on {row_list(rn)}" for post, rn in by_post.items()]
    message = (
        f"{plural(len(by_post), 'post id')} {'appears' if len(by_post) == 1 else 'appear'} more than once: "
        f"{shown(described)}. Each post is one row, with the number of people in it as its headcount. Merge the "
        f"rows of a post (or give different posts their own ids) and deposit the file again."
    )
    return failing(
        "no_duplicate_posts",
        message,
        [_row(r, "post_id", r.post_id, "each post id once") for r in rows.itertuples()],
    )


def pay_year(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("pay_year", "fail", "pass", f"Every row is for {f.pay_year}.")
    said = sorted(set(rows["pay_year"]))
    message = (
        f"{plural(len(rows), 'row')} {'says' if len(rows) == 1 else 'say'} the pay year is {quote_list(said)}, "
        f"but this deposit is for {f.pay_year} ({row_list(rows['row_number'].tolist())}). Accepted: {f.pay_year} "
        f"(April {f.pay_year[:4]} to March {int(f.pay_year[:4]) + 1}) on every row. Deposit each year's posts at "
        f"that year's address."
    )
    return failing("pay_year", message, [_row(r, "pay_year", r.pay_year, f.pay_year) for r in rows.itertuples()])


def council(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    registry = catalogue.councils()
    own = registry[f.council_code]
    if rows is None:
        return CheckOutcome("council", "fail", "pass", f"Every row is {own.name}'s.")
    named = rows["council_written"].tolist()
    others = [registry[c].name for c in dict.fromkeys(rows["file_council"]) if c in registry]
    whose = f" It may be {' or '.join(others)}'s file." if others else ""
    accepted = f"'{own.name}' or {own.code}"
    message = (
        f"The file says it is from {quote_list(list(dict.fromkeys(named)))} "
        f"({row_list(rows['row_number'].tolist())}), but it was fetched from {own.name}'s pay deposit "
        f"address.{whose} Accepted in the council column: {accepted}. Deposit {own.name}'s own posts at its "
        f"address."
    )
    failing_rows = [_row(r, "council_code", n, accepted) for r, n in zip(rows.itertuples(), named, strict=True)]
    return failing("council", message, failing_rows)


def contract_type(f: PayFile, rows, limits: Limits) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("contract_type", "fail", "pass", "Every contract type given is one the deposit knows.")
    said = sorted(set(rows["contract_type"]))
    message = (
        f"{plural(len(rows), 'row')} {'has' if len(rows) == 1 else 'have'} a contract type the deposit does not "
        f"know ({quote_list(said)}: {row_list(rows['row_number'].tolist())}). Accepted: "
        f"{', '.join(CONTRACT_TYPES)}, or blank. Correct {_it(rows)} and deposit the file again."
    )
    return failing(
        "contract_type",
        message,
        [_row(r, "contract_type", r.contract_type, ", ".join(CONTRACT_TYPES)) for r in rows.itertuples()],
    )


#: check -> its words, for every check of expectations/council_pay.json.
WORDS = {
    "annual_salary": annual_salary,
    "scp_points": scp_points,
    "salary_scp": salary_scp,
    "fte": fte,
    "headcount": headcount,
    "role": role,
    "no_duplicate_posts": no_duplicate_posts,
    "pay_year": pay_year,
    "council": council,
    "contract_type": contract_type,
}
