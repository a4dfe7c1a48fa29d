"""The explorer's Region page: where the West Midlands as a whole has a problem (the current
list of marts.mart_region_problems, with a search box), the region against England for a
financial year (marts.mart_region_performance), and the Performance of the Region reports
the reports run has written, to open. The address carries the search and the year
(?q=&year=)."""

from __future__ import annotations

import streamlit as st

from councilbench.explorer import params
from councilbench.explorer import region as reg
from councilbench.reports import format as fmt

END = "Source: marts.mart_region_problems and mart_region_performance. End of the Region page."


def end() -> None:
    st.caption(END)


st.title("Region")
st.write(
    "Where the West Midlands as a whole has a problem, how the region compares with England, "
    "and the Performance of the Region reports."
)

metrics = params.metrics()
if not metrics:
    st.error("The warehouse has no metrics yet: build it first (`councilbench dbt build`).")
    end()
    st.stop()

# --- region-wide problems -----------------------------------------------------------------------
st.header("Region-wide problems")
st.write(
    "The current list: each measure's problems as of its latest period, with the reason in plain words. "
    "A problem is the region doing worse than England over a complete year, the regional figure getting "
    "worse period after period, or most councils getting worse."
)
problems = reg.problems(metrics)
query = st.text_input(
    "Search the problems",
    value=params.text("q") or "",
    placeholder="A measure, a service area or any word of the reason, for example: empty retail units",
    key="q",
)
found = reg.search(problems, query)
if problems.empty:
    st.info("No region-wide problem in the latest periods: no measure is worse than England or getting worse.")
elif found.empty:
    st.info(f"None of the {len(problems)} region-wide problems matches this search.")
else:
    shown = f"{len(found)} of {len(problems)}" if len(found) < len(problems) else f"All {len(problems)}"
    st.write(f"{shown} region-wide problems, by service area:")
    st.table(reg.problems_table(found).set_index("Service area"))

# --- the region against England -----------------------------------------------------------------
st.header("The West Midlands against England")
years = reg.financial_years()
if not years:
    st.info("No financial year has figures yet.")
else:
    asked_year = params.text("year")
    year = st.selectbox(
        "Financial year",
        years,
        index=years.index(asked_year) if asked_year in years else 0,
        format_func=lambda y: f"{y} ({fmt.financial_year_label(y)})",
        key="year",
    )
    if asked_year and asked_year not in years:
        st.warning(f"The address asks for a financial year with no figures. Accepted: {', '.join(years)}.")
    england = reg.vs_england(year, metrics)
    if england.empty:
        st.info(f"No measure has an England figure for {year}.")
    else:
        st.write(
            "The measures with a published England figure. A year with periods missing is not compared "
            "with England's whole year: the reason says so."
        )
        st.table(england.set_index("Measure"))
    params.write(year=year)
params.write(q=query.strip() or None)

# --- the reports ---------------------------------------------------------------------------------
st.header("Performance of the Region reports")
reports = reg.annual_reports()
if not reports:
    st.info(
        "No Performance of the Region report has been produced yet. The reports run writes one after each "
        "month's returns are in (the reports DAG, or `councilbench report`); it will be here to open then."
    )
for report in reports:
    cols = st.columns([3, 1, 1])
    cols[0].markdown(f"**{report.title}**")
    if report.pdf:
        cols[1].download_button(
            "PDF",
            report.pdf.read_bytes,  # read when clicked, not on every run of the page
            file_name=report.pdf.name,
            mime="application/pdf",
            on_click="ignore",
            key=f"pdf_{report.html.stem}",
        )
    else:
        cols[1].write("No PDF (printed when Chromium is installed)")
    cols[2].download_button(
        "Web page (HTML)",
        report.html.read_bytes,
        file_name=report.html.name,
        mime="text/html",
        on_click="ignore",
        key=f"html_{report.html.stem}",
    )
end()
