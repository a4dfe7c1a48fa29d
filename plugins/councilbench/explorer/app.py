"""The explorer's entry script (`streamlit run` runs this file; `councilbench explorer`
does that for you). It is the frame around every page: the page config and the
navigation. Each page is a small script in explorer/views/ (file pages, so
streamlit.testing's AppTest can open each one) over the functions of this package."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# Not "pages/": Streamlit treats a pages/ folder beside the entry script as its older
# multipage mode, and an address opened directly (/check?council=..., the link in the
# rejection email) would then run the page without this frame: file names in the sidebar.
PAGES_DIR = Path(__file__).with_name("views")


def page(name: str, title: str, **kwargs):
    return st.Page(str(PAGES_DIR / f"{name}.py"), title=title, url_path=name, **kwargs)


st.set_page_config(page_title="councilbench explorer", layout="wide")
st.navigation(
    {
        "": [page("home", "Start here", default=True)],
        "Compare": [
            page("metric", "Metric explorer"),
            page("council", "Council profile"),
            page("region", "Region"),
            page("practice", "Good practice"),
        ],
        "Returns": [page("submissions", "Submissions"), page("check", "Check a file")],
        "Spend": [page("spend", "Pooled spend")],
        "Pay": [page("pay", "Pay benchmarks")],
        "Data": [page("data", "Open data")],
    }
).run()
