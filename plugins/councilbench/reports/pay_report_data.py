"""What a council's pay report reads, read AS THAT COUNCIL.

The session is the admin's connection turned into the council's own role (SET ROLE
councilbench_council_<gss code>, settings.council_role) and made read-only, exactly what a
person's login made a member of that role would get. So PostgreSQL, not this code, decides
what the report can see: in the pay schema, row-level security shows the role its own
posts and figures alone (pay.pay_council_posts, pay.pay_council_roles); in the marts, the
suppressed statistics (mart_pay_benchmark) and the published gender pay gap
(mart_pay_gender_gap). Another council's posts do not exist for the session: asking for
them by code returns nothing. The council code in the queries below only says which of
the visible rows the report wants; every row read is checked to be the council's own.

The comparison group a person names on the command line (region, tier, neighbours, county,
or a partnership group's id) is resolved here to the mart's group_id.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from psycopg import sql

from councilbench.core import settings
from councilbench.core.catalogue import Council, councils, find_council
from councilbench.pay import catalogue as pay_catalogue
from councilbench.pay import roles as pay_roles
from councilbench.reports.data import NoData, _rows
from councilbench.warehouse.connection import Warehouse, connect

#: The relations the report reads; without them (pay never built) there is nothing to report.
RELATIONS = ("pay.pay_council_roles", "pay.pay_council_posts", "marts.mart_pay_benchmark", "marts.mart_pay_gender_gap")
#: The group words a person may give, and the group_id prefix each stands for.
GROUP_WORDS = ("region", "tier", "neighbours", "county")
GROUP_PREFIXES = ("region", "tier:", "county_family:", "nearest_neighbours:", "partnership:")


class NotTheCouncil(RuntimeError):
    """The session is not the council's own role: the report refuses to read anything."""


class SelectionError(ValueError):
    """The roles, job family or comparison group asked for do not exist (the message says which do)."""


@dataclass(frozen=True)
class Group:
    group_id: str  # as in marts.mart_pay_benchmark
    group_type: str
    label: str
    council_is_member: bool  # the council's own posts are in the group's statistics


@dataclass
class PayReportData:
    council: Council
    pay_year: str
    group: Group
    role_ids: list[str]  # the roles reported on, in the catalogue's order
    own: dict[str, dict]  # role_id -> pay.pay_council_roles row (the council's own figures)
    posts: dict[str, list[dict]]  # role_id -> the council's posts (pay.pay_council_posts)
    benchmarks: dict[str, dict]  # role_id -> marts.mart_pay_benchmark row of the group and year
    gender_gap: dict | None  # marts.mart_pay_gender_gap row of the reporting year shown
    read_as: str  # the role PostgreSQL answered as (current_user)
    received_at: datetime | None  # when the council's deposit behind its figures was fetched
    submission_ids: list[int] = field(default_factory=list)  # the council's deposits behind them


# --- the session ------------------------------------------------------------------------------


@contextlib.contextmanager
def council_session(warehouse: Warehouse, council_code: str) -> Iterator:
    """A read-only session acting as the council's own role (SET ROLE), checked to be it."""
    role = settings.council_role(council_code)
    with connect(warehouse, autocommit=True) as conn:
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        conn.execute("set default_transaction_read_only = on")
        yield conn


def session_role(conn, council_code: str) -> str:
    """The role PostgreSQL answers as; NotTheCouncil unless it is the council's own."""
    role = conn.execute("select current_user").fetchone()[0]
    if role != settings.council_role(council_code):
        raise NotTheCouncil(
            f"a pay report for {council_code} reads as {settings.council_role(council_code)}, "
            f"not as {role}: PostgreSQL's row-level security must decide what it sees"
        )
    return role


# --- what was asked for -------------------------------------------------------------------------


def partnership_groups() -> dict[str, tuple[str, set[str]]]:
    """Partnership group id -> (name, member GSS codes), from the seed."""
    out: dict[str, tuple[str, set[str]]] = {}
    with open(settings.seeds_dir() / "partnership_groups.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["group_id"], (r["group_name"], set()))[1].add(r["council_code"])
    return out


def resolve_group(council: Council, text: str) -> Group:
    """region | tier | neighbours | county | a partnership group id (or a mart group_id)."""
    word = (text or "").strip()
    short = council.name
    partnerships = partnership_groups()
    if word == "region":
        return Group("region", "region", "West Midlands: all member councils", True)
    if word in ("tier", f"tier:{council.tier}"):
        return Group(f"tier:{council.tier}", "tier", f"Same tier: {council.tier.replace('_', ' ')} councils", True)
    if word in ("neighbours", "nearest_neighbours", f"nearest_neighbours:{council.code}"):
        return Group(f"nearest_neighbours:{council.code}", "nearest_neighbours", f"Nearest neighbours of {short}", True)
    if word in ("county", "county_family") or word.startswith("county_family:"):
        if council.tier not in ("county", "district"):
            raise SelectionError(
                f"{short} is a {council.tier.replace('_', ' ')} council: only county and district councils "
                "have a county family (choose region, tier, neighbours or a partnership group)"
            )
        county = council.county_code or council.code
        if word.startswith("county_family:") and word != f"county_family:{county}":
            raise SelectionError(f"{short}'s county family is county_family:{county}, not {word}")
        name = council.county_name or councils()[county].name.replace(" County Council", "")
        return Group(f"county_family:{county}", "county_family", f"County family: {name} (county and districts)", True)
    partnership = word.removeprefix("partnership:")
    if partnership in partnerships:
        name, members = partnerships[partnership]
        return Group(f"partnership:{partnership}", "partnership", name, council.code in members)
    raise SelectionError(
        f"unknown comparison group {text!r}: give {', '.join(GROUP_WORDS)} or a partnership group "
        f"({', '.join(sorted(partnerships))})"
    )


def resolve_roles(own_roles: list[str], roles: list[str] | None, family: str | None) -> list[str]:
    """The roles to report on, in the catalogue's order: those named, those of a job family
    the council has posts in, or (neither) every role it has posts in."""
    catalogue = pay_catalogue.roles()
    if roles and family:
        raise SelectionError("give either roles or a job family, not both")
    if roles:
        unknown = [r for r in roles if r not in catalogue]
        if unknown:
            raise SelectionError("; ".join(_unknown_role(r) for r in unknown))
        wanted = set(roles)
    elif family:
        families = {r.job_family.lower(): r.job_family for r in catalogue.values()}
        if family.strip().lower() not in families:
            raise SelectionError(f"unknown job family {family!r}: one of {', '.join(sorted(families.values()))}")
        wanted = {r for r in own_roles if catalogue[r].job_family.lower() == family.strip().lower()}
    else:
        wanted = set(own_roles)
    return [r for r in catalogue if r in wanted]


def _unknown_role(role_id: str) -> str:
    suggestions = pay_roles.suggest(role_id.replace("_", " "))
    hint = f" (did you mean {', '.join(map(str, suggestions))}?)" if suggestions else ""
    return f"{role_id!r} is not a catalogue role{hint}"


# --- reading -------------------------------------------------------------------------------------


def read(
    warehouse: Warehouse,
    council: str,
    group: str,
    pay_year: str,
    roles: list[str] | None = None,
    family: str | None = None,
) -> PayReportData:
    """Everything the report shows, read as the council's own role."""
    c = find_council(council)
    pay_catalogue.spine(pay_year)  # a clear error for a pay year the spine does not hold
    chosen = resolve_group(c, group)
    with council_session(warehouse, c.code) as conn:
        return read_in_session(conn, c, chosen, pay_year, roles, family)


def read_in_session(
    conn, council: Council, group: Group, pay_year: str, roles: list[str] | None, family: str | None
) -> PayReportData:
    role = session_role(conn, council.code)
    missing = [r for r in RELATIONS if conn.execute("select to_regclass(%s)", [r]).fetchone()[0] is None]
    if missing:
        raise NoData(f"the pay models are not built ({', '.join(missing)} missing): run the pay pipeline and dbt")
    own = {r["role_id"]: r for r in own_figures(conn, council.code, pay_year)}
    role_ids = resolve_roles(list(own), roles, family)
    if not role_ids:
        raise NoData(
            f"{council.name} has no posts loaded for {pay_year}"
            + (f" in the job family {family!r}" if family else "")
            + ": nothing to benchmark (name roles with --roles to see the group's figures)"
        )
    posts: dict[str, list[dict]] = {}
    for p in own_posts(conn, council.code, pay_year):
        posts.setdefault(p["role_id"], []).append(p)
    benchmarks = {
        r["role_id"]: r
        for r in _rows(
            conn,
            "select * from marts.mart_pay_benchmark where group_id = %s and pay_year = %s and role_id = any(%s)",
            [group.group_id, pay_year, role_ids],
        )
    }
    label = next((b["group_label"] for b in benchmarks.values() if b["group_label"]), None)
    if label:
        group = Group(group.group_id, group.group_type, label, group.council_is_member)
    shown = [p for r in role_ids for p in posts.get(r, [])]
    return PayReportData(
        council=council,
        pay_year=pay_year,
        group=group,
        role_ids=role_ids,
        own={r: own[r] for r in role_ids if r in own},
        posts={r: posts[r] for r in role_ids if r in posts},
        benchmarks=benchmarks,
        gender_gap=gender_gap(conn, council.code, pay_year),
        read_as=role,
        received_at=max((p["received_at"] for p in shown), default=None),
        submission_ids=sorted({p["submission_id"] for p in shown}),
    )


def _own(rows: list[dict], council_code: str, relation: str) -> list[dict]:
    """Belt and braces over row-level security: every row is the council's own."""
    strangers = sorted({r["council_code"] for r in rows} - {council_code})
    if strangers:
        raise NotTheCouncil(f"{relation} showed {council_code}'s report rows of {', '.join(strangers)}")
    return rows


def own_figures(conn, council_code: str, pay_year: str) -> list[dict]:
    """The council's own median, quartiles and counts per role (pay.pay_council_roles)."""
    rows = _rows(
        conn,
        "select * from pay.pay_council_roles where council_code = %s and pay_year = %s order by role_id",
        [council_code, pay_year],
    )
    return _own(rows, council_code, "pay.pay_council_roles")


def own_posts(conn, council_code: str, pay_year: str) -> list[dict]:
    """The council's own posts (pay.pay_council_posts): titles, grades and SCP ranges."""
    rows = _rows(
        conn,
        """select council_code, role_id, post_id, job_title, grade, scp_min, scp_max, headcount,
                  submission_id, received_at
           from pay.pay_council_posts where council_code = %s and pay_year = %s order by role_id, post_id""",
        [council_code, pay_year],
    )
    return _own(rows, council_code, "pay.pay_council_posts")


def gender_gap(conn, council_code: str, pay_year: str) -> dict | None:
    """The council's published gender pay gap to show beside the pay year: the newest
    reporting year up to the pay year with its figures matched, else the newest up to it
    (which says why it has none), else the newest loaded."""
    rows = _rows(
        conn,
        "select * from marts.mart_pay_gender_gap where council_code = %s order by reporting_year desc",
        [council_code],
    )
    rows = _own(rows, council_code, "marts.mart_pay_gender_gap")
    up_to = [r for r in rows if r["reporting_year"] <= pay_year]
    matched = [r for r in up_to if r["match_status"] == "matched"]
    return (matched or up_to or rows or [None])[0]
