"""The explorer's Pooled spend page, for analysts and procurement leads: a partnership
group's combined spend for a financial year, per council and by ProClass heading; the
largest collaboration opportunities with their savings range; the suppliers its councils
pay separately; and how complete and clear each council's spend data is. Each table's rows
download as CSV. The address carries the group and the year (?group=tri-council&year=2025-26)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from councilbench.explorer import charts, params
from councilbench.explorer import spend as pooled
from councilbench.reports import format as fmt

END = (
    "Source: marts.mart_spend_by_category_year, mart_spend_opportunities, mart_spend_shared_suppliers, "
    "mart_spend_quality and dim_partnership_group. End of the Pooled spend page."
)


def end() -> None:
    st.caption(END)


def download(label: str, name: str, group_id: str, year: str, key: str) -> None:
    """A button for the group's rows of one mart in the year, built when clicked."""
    st.download_button(
        label,
        data=partial(pooled.csv, name, group_id, year),
        file_name=f"pooled-spend_{group_id}_{year}_{key}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"csv_{key}",
    )


st.title("Pooled spend")
st.write(
    "What the councils of a partnership group spend, from the payments over £500 each council publishes: "
    "where they buy the same things, which suppliers they pay separately, and how complete their data is."
)

if not pooled.built() or not pooled.any_spend():
    st.info(
        "No council's spend is loaded yet. The spend run loads each council's published payments over £500 "
        "(the council_spend DAG, or `councilbench spend run --period YYYY-MM`), and the warehouse build makes "
        "the tables this page reads: this page shows them then."
    )
    end()
    st.stop()

# --- the group and the year ---------------------------------------------------------------------
groups = pooled.groups()
names = dict(zip(groups["group_id"], groups["group_name"], strict=True))
ids = list(names)
asked_group = params.text("group")
if asked_group and asked_group not in names:
    st.warning(
        f"The address asks for a partnership group that is not known here. Accepted: {', '.join(ids)}. "
        f"Showing {names[ids[0]]} instead."
    )
group_id = st.selectbox(
    "Partnership group",
    ids,
    index=ids.index(asked_group) if asked_group in names else 0,
    format_func=names.get,
    key="spend_group",
)
members = pooled.members(group_id)
years = pooled.years(group_id)
params.write(group=group_id)
if not years:
    st.info(f"None of the {len(members)} councils of {names[group_id]} has spend loaded yet.")
    params.write(year=None)
    end()
    st.stop()
asked_year = params.text("year")
if asked_year and asked_year not in years:
    st.warning(
        f"The address asks for a financial year with no spend for this group. Accepted: {', '.join(years)}. "
        f"Showing {years[0]} instead."
    )
year = st.selectbox(
    "Financial year",
    years,
    index=years.index(asked_year) if asked_year in years else 0,
    format_func=lambda y: f"{y} ({fmt.financial_year_label(y)})",
    key="spend_year",
)
params.write(year=year)

# --- combined spend -----------------------------------------------------------------------------
detail = pooled.mart("mart_spend_by_category_year", group_id, year)
councils = pooled.by_council(members, detail)
without = [
    n for c, n in zip(members["council_code"], members["name"], strict=True) if c not in set(detail["council_code"])
]
st.header(f"{names[group_id]}: combined spend in {year}")
cells = st.columns(3)
cells[0].metric("Combined spend", pooled.money(detail["net_amount"].sum()))
cells[1].metric("Councils with spend loaded", f"{len(councils)} of {len(members)}")
cells[2].metric("Payment lines", f"{int(detail['line_count'].sum()):,}")
st.write(
    "Net spend (credit notes netted off) per council, the largest first. A council's figure covers only the "
    "periods it has loaded: compare councils on like periods."
)
st.dataframe(councils, hide_index=True, width="stretch")
if without:
    st.caption(
        f"No spend loaded for {year} from: " + ", ".join(without) + "."
        if len(without) <= 6
        else f"{len(without)} of the group's councils have no spend loaded for {year}: see the data quality below."
    )

st.subheader("By ProClass heading")
st.write(
    "The group's spend by ProClass level-1 heading (local government's procurement classification), with how "
    "many of the councils with spend bought under each."
)
headings = pooled.by_heading(detail)
st.altair_chart(charts.amount_bars(headings, "Heading", "amount", axis_title="Net spend (£)"), width="stretch")
st.dataframe(headings.drop(columns="amount"), hide_index=True, width="stretch")
download("Download the spend by category (CSV)", "mart_spend_by_category_year", group_id, year, "by-category")

# --- collaboration opportunities ----------------------------------------------------------------
st.header("Collaboration opportunities")
opps = pooled.mart("mart_spend_opportunities", group_id, year)
if opps.empty:
    st.write(f"No category is bought by two or more of the group's councils in {year}.")
else:
    low, high = pooled.rate(opps["savings_rate_low"].iloc[0]), pooled.rate(opps["savings_rate_high"].iloc[0])
    st.write(
        f"Categories two or more of the councils buy, the largest combined spend first: "
        f"{fmt.plural(len(opps), 'opportunity', 'opportunities')}, {pooled.money(opps['combined_net_amount'].sum())} "
        f"of combined spend. The savings range is {low} to {high} of the combined spend (the rates the warehouse "
        "was built with, COUNCILBENCH_SPEND_SAVINGS_LOW and _HIGH): an indication of scale, not a promise. "
        "Suppliers: how many the buying councils paid in the category, and how many of those two or more of them "
        "paid separately. Unclassified, non-influenceable and redacted spend is never counted."
    )
    st.dataframe(pooled.opportunities(opps), hide_index=True, width="stretch")
    if len(opps) > pooled.TOP:
        st.caption(f"The {pooled.TOP} largest of {len(opps)}; the CSV has every one.")
download("Download the opportunities (CSV)", "mart_spend_opportunities", group_id, year, "opportunities")

# --- shared suppliers ---------------------------------------------------------------------------
st.header("Shared suppliers")
shared = pooled.mart("mart_spend_shared_suppliers", group_id, year)
if shared.empty:
    st.write(f"No supplier is paid by two or more of the group's councils in {year}.")
else:
    count = shared["supplier_id"].nunique()
    st.write(
        f"Suppliers two or more of the councils pay, each under its own arrangement: "
        f"{fmt.plural(count, 'supplier')} in {year}, the most paid first, with each council's net spend "
        "(– where a council paid the supplier nothing). One contract could serve them."
    )
    st.dataframe(pooled.shared_suppliers(shared, members), hide_index=True, width="stretch")
    if count > pooled.TOP:
        st.caption(f"The {pooled.TOP} most paid of {count}; the CSV has every one, council by council.")
download("Download the shared suppliers (CSV)", "mart_spend_shared_suppliers", group_id, year, "shared-suppliers")

# --- data quality -------------------------------------------------------------------------------
st.header("Data quality")
st.write(
    "How complete and clear each council's spend data is for the year, over the periods any council has sent "
    "a file for. Late: the first accepted file came after the end of the month after the period (or none has "
    "come and that date has passed). The shares are of the loaded spend: unclassified (no category rule "
    "knows the expense type), redacted (payments to individuals) and paid to a supplier no one could identify."
)
st.dataframe(
    pooled.quality(pooled.mart("mart_spend_quality", group_id, year), members), hide_index=True, width="stretch"
)
download("Download the data quality (CSV)", "mart_spend_quality", group_id, year, "quality")
end()
