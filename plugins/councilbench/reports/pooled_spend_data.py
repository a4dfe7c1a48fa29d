"""What the pooled spend report reads: the spend marts of one partnership group and
financial year, as the analyst role reads them (reports.data.open_marts).

The group and its councils come from marts.dim_partnership_group (the seed
partnership_groups, published for analysts: the reference schema is not theirs to read);
spend by category from mart_spend_by_category_year, the collaboration opportunities from
mart_spend_opportunities, suppliers two or more councils pay from
mart_spend_shared_suppliers and the files due, late, missing and their unclassified and
redacted spend from mart_spend_quality. Rows come back as the marts hold them; the
report (reports.pooled_spend) only adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass

from councilbench.reports import format as fmt
from councilbench.reports.data import NoData, _rows

#: The marts the report reads: without them (a warehouse whose spend marts were never
#: built) there is no pooled spend to report.
SPEND_MARTS = (
    "mart_spend_by_category_year",
    "mart_spend_opportunities",
    "mart_spend_shared_suppliers",
    "mart_spend_quality",
)


@dataclass(frozen=True)
class Member:
    council_code: str
    council_name: str

    @property
    def display_name(self) -> str:
        return fmt.display_name(self.council_name)


@dataclass(frozen=True)
class Group:
    group_id: str
    group_name: str
    members: tuple[Member, ...]

    @property
    def codes(self) -> list[str]:
        return [m.council_code for m in self.members]


@dataclass
class PooledSpendData:
    group: Group
    financial_year: str
    by_category: list[dict]  # mart_spend_by_category_year rows of the group's councils in the year
    opportunities: list[dict]  # mart_spend_opportunities rows of the group and year, by rank
    shared_suppliers: list[dict]  # mart_spend_shared_suppliers rows (one per supplier and council)
    quality: list[dict]  # mart_spend_quality rows of the group's councils' periods in the year


def spend_marts_built(conn) -> bool:
    row = conn.execute(
        "select bool_and(to_regclass('marts.' || m) is not null) from unnest(%s::text[]) as m",
        [list(SPEND_MARTS)],
    ).fetchone()
    return bool(row and row[0])


def groups(conn) -> dict[str, Group]:
    """Every partnership group with its member councils, smallest group first."""
    members: dict[str, list[Member]] = {}
    names: dict[str, str] = {}
    for r in _rows(
        conn,
        """select group_id, group_name, council_code, council_name from marts.dim_partnership_group
           order by group_councils, group_id, council_name""",
    ):
        names[r["group_id"]] = r["group_name"]
        members.setdefault(r["group_id"], []).append(Member(r["council_code"], r["council_name"]))
    return {g: Group(g, names[g], tuple(ms)) for g, ms in members.items()}


def group(conn, group_id: str) -> Group:
    known = groups(conn)
    if group_id not in known:
        raise ValueError(
            f"no partnership group {group_id!r} in marts.dim_partnership_group; the groups are: "
            + (", ".join(known) or "none (build the reference data first)")
        )
    return known[group_id]


def spend_years(conn) -> list[str]:
    """The financial years any council has spend loaded for, oldest first."""
    return [
        r[0]
        for r in conn.execute(
            "select distinct financial_year from marts.mart_spend_by_category_year order by 1"
        ).fetchall()
    ]


def groups_with_spend(conn, financial_year: str) -> list[str]:
    """The groups at least one of whose councils has spend loaded for the year."""
    return [
        r[0]
        for r in conn.execute(
            """select distinct g.group_id, g.group_councils
               from marts.dim_partnership_group as g
               join marts.mart_spend_by_category_year as y
                 on y.council_code = g.council_code and y.financial_year = %s
               order by g.group_councils, g.group_id""",
            [financial_year],
        ).fetchall()
    ]


def pooled_spend_data(conn, group_id: str, financial_year: str) -> PooledSpendData:
    if not spend_marts_built(conn):
        raise NoData("the spend marts are not built: run the warehouse build first")
    g = group(conn, group_id)
    key = [g.codes, financial_year]
    by_category = _rows(
        conn,
        """select * from marts.mart_spend_by_category_year
           where council_code = any(%s) and financial_year = %s
           order by council_code, proclass_level1_code nulls last, proclass_level2_code nulls last""",
        key,
    )
    opportunities = _rows(
        conn,
        """select * from marts.mart_spend_opportunities where group_id = %s and financial_year = %s
           order by opportunity_rank, proclass_level2_code""",
        [group_id, financial_year],
    )
    shared = _rows(
        conn,
        """select * from marts.mart_spend_shared_suppliers where group_id = %s and financial_year = %s
           order by group_net_amount desc, supplier_id, net_amount desc""",
        [group_id, financial_year],
    )
    quality = _rows(
        conn,
        """select * from marts.mart_spend_quality where council_code = any(%s) and financial_year = %s
           order by council_code, spend_period""",
        key,
    )
    return PooledSpendData(g, financial_year, by_category, opportunities, shared, quality)
