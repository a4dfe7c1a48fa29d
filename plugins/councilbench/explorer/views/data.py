"""The explorer's Open data page: every mart analysts may read, with what it holds and its
rows; one table's CSV to download; and the whole release (datapackage.json and the CSVs)
as a zip. These are the files `councilbench export` publishes, made by the same functions
(reports.opendata), read as the analyst role.

The downloads are built when clicked (st.download_button's deferred data): the page itself
costs one catalogue query, however large the marts grow."""

from __future__ import annotations

import re
from functools import partial

import pandas as pd
import streamlit as st

from councilbench.core import calendar
from councilbench.explorer import db
from councilbench.reports import opendata

END = "Source: every table of the marts the analyst role may read. End of the open data page."
ZIP_NAME = "councilbench-open-data.zip"


def end() -> None:
    st.caption(END)


@st.cache_data(ttl=db.CACHE_SECONDS, show_spinner=False)
def listing(url: str) -> opendata.Listing:
    """The release's tables and rows, cached per warehouse (url keys the cache)."""
    return opendata.listing(db.warehouse())


def first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0] if text else ""


def tables_frame(found: opendata.Listing) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Table": [m.title for m in found.marts],
            "File": [m.file_name for m in found.marts],
            "Rows": [f"{found.rows[m.name]:,}" for m in found.marts],
            "What it holds": [first_sentence(m.description) for m in found.marts],
        }
    )


def columns_frame(mart: opendata.Mart) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Column": [c.name for c in mart.columns],
            "Type": [c.type for c in mart.columns],
            "Meaning": [c.description for c in mart.columns],
        }
    )


st.title("Open data")
warehouse = db.warehouse()
found = listing(warehouse.url)
if not found.marts:
    st.error("The warehouse has no tables analysts may read yet: build it first (`councilbench dbt build`).")
    end()
    st.stop()

as_at = (
    f"as at the councils' returns for {calendar.month_label(found.as_at)}"
    if found.as_at
    else "before any council's return was accepted"
)
st.write(
    f"Every table of the West Midlands benchmarking warehouse, {as_at}, free to reuse under the "
    f"[{opendata.LICENCE['title']}]({opendata.LICENCE['path']}). Each table is a CSV file: UTF-8, one "
    "header row, an empty cell where there is no value, dates as YYYY-MM-DD and times in UTC."
)
st.download_button(
    f"Download everything (zip: datapackage.json and {len(found.marts)} CSV files)",
    data=partial(opendata.release_zip, warehouse),
    file_name=ZIP_NAME,
    mime="application/zip",
    on_click="ignore",
    type="primary",
    key="zip",
    help="The release published with the annual report: every table below, and datapackage.json, a "
    "Frictionless data package describing each table and column.",
)

st.subheader("The tables")
# a static table: eleven rows whose descriptions wrap, rather than a grid that cuts them off
st.table(tables_frame(found), hide_index=True)

st.subheader("Download one table")
names = [m.name for m in found.marts]
by_name = {m.name: m for m in found.marts}
name = st.selectbox("Table", names, format_func=lambda n: f"{by_name[n].title} ({by_name[n].file_name})", key="table")
mart = by_name[name]
st.write(mart.description)
st.download_button(
    f"Download {mart.file_name} ({found.rows[name]:,} rows)",
    data=partial(opendata.mart_csv, warehouse, name),
    file_name=mart.file_name,
    mime="text/csv",
    on_click="ignore",
    key="csv",
)
with st.expander(f"The {len(mart.columns)} columns of {mart.file_name}"):
    # a static table: a grid in a closed expander would not draw until opened
    st.table(columns_frame(mart), hide_index=True)
end()
