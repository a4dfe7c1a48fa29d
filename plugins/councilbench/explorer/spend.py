"""The Pooled spend page's data: a partnership group's councils (marts.dim_partnership_group:
the seed itself lives in `reference`, which the analyst role cannot read), the financial
years they have spend for, and per group and year the four spend marts the page shows
(mart_spend_by_category_year, mart_spend_opportunities, mart_spend_shared_suppliers,
mart_spend_quality), as rows and as the tables the page draws from them; and each table's
rows as a CSV written the way the open data release writes one (reports.opendata).

Results are cached per warehouse (its url is part of the key), group and year.
"""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from councilbench.explorer import db
from councilbench.reports import format as fmt
from councilbench.reports import opendata

#: How many opportunities and shared suppliers the page lists (the CSVs hold them all).
TOP = 10
#: Periods in a financial year by publishing frequency, and their name.
PERIODS_IN_YEAR = {"monthly": (12, "months"), "quarterly": (4, "quarters")}
#: What the page says for a figure that does not exist.
NONE = "–"

_MEMBERS = "select council_code from marts.dim_partnership_group where group_id = %s"
#: Each downloadable mart: the rows of one group and financial year (parameters: the
#: group's id, then the year), in a reader's order.
DOWNLOADS = {
    "mart_spend_by_category_year": f"""
        select * from marts.mart_spend_by_category_year
        where council_code in ({_MEMBERS}) and financial_year = %s
        order by council_code, proclass_level1_code nulls last, proclass_level2_code nulls last""",
    "mart_spend_opportunities": """
        select * from marts.mart_spend_opportunities
        where group_id = %s and financial_year = %s
        order by opportunity_rank, proclass_level2_code""",
    "mart_spend_shared_suppliers": """
        select * from marts.mart_spend_shared_suppliers
        where group_id = %s and financial_year = %s
        order by group_net_amount desc, supplier_id, council_code""",
    "mart_spend_quality": f"""
        select * from marts.mart_spend_quality
        where council_code in ({_MEMBERS}) and financial_year = %s
        order by council_code, spend_period""",
}


# --- reading the marts -------------------------------------------------------------------------


def rows(sql: str, params: tuple = ()) -> pd.DataFrame:
    """db.query(), cached per warehouse (the url keys it: unlike db.cached_query, two
    warehouses read by one process never share a result), SQL and parameters."""
    return _cached(db.warehouse().url, sql, params)


@st.cache_data(ttl=db.CACHE_SECONDS, show_spinner=False)
def _cached(url: str, sql: str, params: tuple) -> pd.DataFrame:
    return db.query(sql, params)


def built() -> bool:
    """Whether the spend marts and the groups exist (a warehouse built before the spend
    models, or with the reference data only, has neither)."""
    found = rows(
        "select to_regclass('marts.dim_partnership_group') is not null "
        "and to_regclass('marts.mart_spend_by_category_year') is not null as built"
    )
    return bool(found["built"].iloc[0])


def any_spend() -> bool:
    return not rows("select 1 from marts.mart_spend_by_category_year limit 1").empty


def groups() -> pd.DataFrame:
    """Every partnership group: group_id, group_name, group_councils; the smaller first."""
    return rows(
        """
        select group_id, max(group_name) as group_name, count(*) as group_councils
        from marts.dim_partnership_group group by group_id
        order by count(*), max(group_name)"""
    )


def members(group_id: str) -> pd.DataFrame:
    """The group's councils: council_code, council_name, name (short), spend_frequency."""
    found = rows(
        """
        select g.council_code, c.council_name, c.spend_frequency
        from marts.dim_partnership_group g join marts.dim_council c using (council_code)
        where g.group_id = %s order by c.council_name""",
        (group_id,),
    )
    return found.assign(name=found["council_name"].map(fmt.display_name))


def years(group_id: str) -> list[str]:
    """The financial years any of the group's councils has spend loaded for, newest first."""
    found = rows(
        f"select distinct financial_year from marts.mart_spend_by_category_year "
        f"where council_code in ({_MEMBERS}) order by 1 desc",
        (group_id,),
    )
    return found["financial_year"].tolist()


def mart(name: str, group_id: str, year: str) -> pd.DataFrame:
    """One of DOWNLOADS' marts: the group's rows for the year."""
    return rows(DOWNLOADS[name], (group_id, year))


def csv(name: str, group_id: str, year: str) -> bytes:
    """The group's rows of one mart for the year as CSV, as the open data release writes a
    mart (UTF-8, a header, an empty cell for no value, ISO dates, times in UTC)."""
    buffer = io.BytesIO()
    statement = f"copy ({DOWNLOADS[name]}) to stdout with (format csv, header)"
    with opendata.snapshot(db.warehouse()) as conn, conn.cursor() as cur, cur.copy(statement, (group_id, year)) as copy:
        for block in copy:
            buffer.write(block)
    return buffer.getvalue()


# --- words and figures -------------------------------------------------------------------------


def money(value) -> str:
    """'£161,066', '-£1,234'; whole pounds."""
    v = fmt.to_float(value)
    if v is None:
        return NONE
    text = fmt.number(v, 0)
    return "-£" + text[1:] if text.startswith("-") else "£" + text


def share(value) -> str:
    """A share (0.4264) as '42.6%'."""
    v = fmt.to_float(value)
    return NONE if v is None else f"{v * 100:.1f}%"


def rate(value) -> str:
    """A savings rate (0.03) as '3%', (0.025) as '2.5%'."""
    return f"{fmt.to_float(value) * 100:g}%"


def periods_text(loaded: int, frequency: str | None) -> str:
    """'3 of 12 months', '1 of 4 quarters'."""
    total, unit = PERIODS_IN_YEAR.get(frequency or "monthly", PERIODS_IN_YEAR["monthly"])
    return f"{loaded} of {total} {unit}"


def _ratio(part: pd.Series, whole: pd.Series) -> pd.Series:
    whole = whole.astype(float)
    return part.astype(float) / whole.where(whole != 0)


# --- the page's tables -------------------------------------------------------------------------


def by_council(group: pd.DataFrame, detail: pd.DataFrame) -> pd.DataFrame:
    """Each council of the group with spend in the year (`detail`: its
    mart_spend_by_category_year rows), the largest first, with the periods behind the
    figure beside it: a year in progress or with a file missing is not a whole year."""
    spend = detail.assign(
        unclassified=detail["net_amount"].where(detail["is_unclassified"].astype(bool), 0),
    )
    totals = spend.groupby("council_code").agg(
        net_amount=("net_amount", "sum"), unclassified=("unclassified", "sum"), periods=("periods_loaded", "max")
    )
    table = group.merge(totals, left_on="council_code", right_index=True).sort_values(
        ["net_amount", "name"], ascending=[False, True], kind="stable"
    )
    whole = table["net_amount"].sum()
    return pd.DataFrame(
        {
            "Council": table["name"],
            "Spend": table["net_amount"].map(money),
            "Share of the group's spend": _ratio(table["net_amount"], pd.Series(whole, index=table.index)).map(share),
            "Periods loaded": [
                periods_text(int(n), f) for n, f in zip(table["periods"], table["spend_frequency"], strict=True)
            ],
            "Unclassified": _ratio(table["unclassified"], table["net_amount"]).map(share),
        }
    ).reset_index(drop=True)


#: What the two headings that are not bought like the others are, beside their figures.
HEADING_NOTES = {
    "Unclassified": "Expense types no category rule recognises yet: not an opportunity until classified.",
    "Non-Influenceable Spend": "Grants, rates, levies and the like: no procurement can change it.",
}


def by_heading(detail: pd.DataFrame) -> pd.DataFrame:
    """The group's spend by ProClass level-1 heading, the largest first: spend, share, and
    how many of the councils with spend bought under the heading (positive net spend)."""
    councils = detail["council_code"].nunique()
    per_council = detail.groupby(["proclass_level1", "council_code"], dropna=False)["net_amount"].sum().reset_index()
    per_council["proclass_level1"] = per_council["proclass_level1"].fillna("Unclassified")
    headings = per_council.groupby("proclass_level1").agg(
        net_amount=("net_amount", "sum"), buying=("net_amount", lambda s: int((s > 0).sum()))
    )
    headings = headings.reset_index().sort_values(["net_amount", "proclass_level1"], ascending=[False, True])
    whole = headings["net_amount"].sum()
    return pd.DataFrame(
        {
            "Heading": headings["proclass_level1"],
            "Spend": headings["net_amount"].map(money),
            "Share of the group's spend": _ratio(headings["net_amount"], pd.Series(whole, index=headings.index)).map(
                share
            ),
            "Councils buying": [f"{n} of {councils}" for n in headings["buying"]],
            "Note": headings["proclass_level1"].map(lambda h: HEADING_NOTES.get(h, "")),
            "amount": headings["net_amount"].astype(float),  # for the chart; not shown
        }
    ).reset_index(drop=True)


def opportunities(opps: pd.DataFrame, top: int = TOP) -> pd.DataFrame:
    """The group's largest collaboration opportunities (mart_spend_opportunities, in its
    rank order): what, who buys it, the combined spend and the savings range, and why it
    is an opportunity (the same supplier bought separately, or each its own)."""
    shown = opps.sort_values(["opportunity_rank", "proclass_level2"], kind="stable").head(top)
    return pd.DataFrame(
        {
            "Rank": shown["opportunity_rank"].astype(int),
            "Category": shown["proclass_level2"],
            "Heading": shown["proclass_level1"],
            "Councils buying": [
                f"{b} of {g}" for b, g in zip(shown["councils_buying"], shown["group_councils"], strict=True)
            ],
            "Combined spend": shown["combined_net_amount"].map(money),
            "Savings range": [
                f"{money(lo)} to {money(hi)}"
                for lo, hi in zip(shown["savings_low"], shown["savings_high"], strict=True)
            ],
            "Kind": shown["opportunity_type"].str.capitalize(),
            "Suppliers": [
                f"{int(n)} ({int(s)} shared)"
                for n, s in zip(shown["supplier_count"], shown["shared_supplier_count"], strict=True)
            ],
            "Largest supplier": [
                f"{name} ({share(s)})" if name else NONE
                for name, s in zip(shown["top_supplier_name"], shown["top_supplier_share"], strict=True)
            ],
        }
    )


def shared_suppliers(shared: pd.DataFrame, group: pd.DataFrame, top: int = TOP) -> pd.DataFrame:
    """The suppliers the group's councils pay most together (mart_spend_shared_suppliers),
    with each council's spend with them: one column per council that appears."""
    suppliers = (
        shared.drop_duplicates("supplier_id")
        .sort_values(["group_net_amount", "supplier_name"], ascending=[False, True], kind="stable")
        .head(top)
    )
    names = dict(zip(group["council_code"], group["name"], strict=True))
    councils = [
        c
        for c in group["council_code"]
        if c in set(shared.loc[shared["supplier_id"].isin(suppliers["supplier_id"]), "council_code"])
    ]
    each = shared.set_index(["supplier_id", "council_code"])["net_amount"]
    table = pd.DataFrame(
        {
            "Supplier": suppliers["supplier_name"],
            "Councils paying": [f"{n} of {len(group)}" for n in suppliers["councils_using"]],
            "Group spend": suppliers["group_net_amount"].map(money),
        }
    )
    for code in councils:
        table[names[code]] = [money(each.get((s, code))) for s in suppliers["supplier_id"]]
    return table.reset_index(drop=True)


def quality(quality_rows: pd.DataFrame, group: pd.DataFrame) -> pd.DataFrame:
    """Each council's spend data for the year (mart_spend_quality): the periods due, how
    many files were loaded, missing, only rejected or late, and of the loaded spend the
    shares unclassified, redacted and paid to a supplier no one could identify."""
    q = quality_rows.assign(
        loaded=quality_rows["file_status"] == "loaded",
        missing=quality_rows["file_status"] == "missing",
        rejected=quality_rows["file_status"] == "rejected",
        late=quality_rows["is_late"].fillna(False).astype(bool),
    )
    per = q.groupby("council_code").agg(
        due=("spend_period", "count"),
        loaded=("loaded", "sum"),
        missing=("missing", "sum"),
        rejected=("rejected", "sum"),
        late=("late", "sum"),
        net=("net_amount", lambda s: s.dropna().sum()),
        unclassified=("unclassified_amount", lambda s: s.dropna().sum()),
        redacted=("redacted_amount", lambda s: s.dropna().sum()),
        unidentified=("unidentified_supplier_amount", lambda s: s.dropna().sum()),
    )
    table = group.merge(per, left_on="council_code", right_index=True)
    return pd.DataFrame(
        {
            "Council": table["name"],
            "Publishes": table["spend_frequency"],
            "Periods due": table["due"].astype(int),
            "Loaded": table["loaded"].astype(int),
            "Missing": table["missing"].astype(int),
            "Rejected only": table["rejected"].astype(int),
            "Late": table["late"].astype(int),
            "Unclassified": _ratio(table["unclassified"], table["net"]).map(share),
            "Redacted": _ratio(table["redacted"], table["net"]).map(share),
            "Supplier not identified": _ratio(table["unidentified"], table["net"]).map(share),
        }
    ).reset_index(drop=True)
