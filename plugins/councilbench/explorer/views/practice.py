"""The explorer's Good practice page: the case studies of the good practice library
(marts.mart_case_studies), filtered by service area, measure and council, each with its
outcomes, whom to ask and its link; and, for a chosen council, what to read and whom to ask
beside each measure where it is in the bottom quartile or getting worse
(marts.mart_good_practice). The address carries the filters (?area=&metric=&council=&for=)."""

from __future__ import annotations

import streamlit as st

from councilbench.explorer import params
from councilbench.explorer import practice as gp
from councilbench.explorer.submissions import inert
from councilbench.reports import format as fmt

END = "Source: marts.mart_case_studies and mart_good_practice. End of the Good practice page."
ALL = ""


def end() -> None:
    st.caption(END)


st.title("Good practice")
st.write(
    "What member councils did to improve, with the figures before and after and whom to ask. Each council's "
    "pack lists the case studies and the councils to learn from beside every measure where it is in the "
    "bottom quartile of the region or getting worse."
)

found = gp.rows()
if found.empty:
    st.info(
        "No case study yet. A case study is a reviewed file in the repository's case_studies/ folder, "
        "loaded with the reference data."
    )
    end()
    st.stop()

# --- the filters ---------------------------------------------------------------------------------
councils, metrics = params.councils(), params.metrics()
area_list = [ALL, *gp.areas(found)]
asked_area = params.text("area")
if asked_area and asked_area not in area_list:
    st.warning(f"The address asks for a service area with no case study. Accepted: {', '.join(area_list[1:])}.")
asked_metric, asked_council = params.metric(), params.council()
columns = st.columns(3)
area = columns[0].selectbox(
    "Service area",
    area_list,
    index=area_list.index(asked_area) if asked_area in area_list else 0,
    format_func=lambda a: fmt.service_area_label(a) if a else "All service areas",
    key="area",
)
in_area = found[found["service_area"] == area] if area else found
metric_list = [ALL, *sorted(in_area["metric_id"].unique(), key=lambda m: metrics[m].metric_name)]
metric = columns[1].selectbox(
    "Measure",
    metric_list,
    index=metric_list.index(asked_metric.metric_id) if asked_metric and asked_metric.metric_id in metric_list else 0,
    format_func=lambda m: metrics[m].metric_name if m else "All measures",
    key="metric",
)
council_list = [ALL, *sorted(found["council_code"].unique(), key=lambda c: councils[c].council_name)]
council = columns[2].selectbox(
    "Council",
    council_list,
    index=council_list.index(asked_council.council_code)
    if asked_council and asked_council.council_code in council_list
    else 0,
    format_func=lambda c: councils[c].display_name if c else "All councils",
    key="council",
)
params.write(area=area or None, metric=metric or None, council=councils[council].short_name if council else None)

# --- the case studies ------------------------------------------------------------------------------
listed = gp.entries(gp.select(found, area or None, metric or None, council or None))
total = found["case_study_id"].nunique()
if not listed:
    st.info(f"None of the {total} case studies matches these filters.")
else:
    shown = f"{len(listed)} of {total}" if len(listed) < total else f"All {total}"
    st.write(f"{shown} case studies:")
for entry in listed:
    with st.container(border=True):
        st.subheader(entry.title)
        st.caption(f"{entry.council_name} · bears on: {', '.join(entry.measures)}")
        if entry.is_sample:
            st.warning("Sample case study written for the demo: not a verified record.")
        st.write(inert(entry.summary))
        if entry.outcomes:
            st.markdown("**Outcomes:**\n" + "\n".join(f"- {inert(line)}" for line in entry.outcomes))
        st.markdown(f"**Whom to ask:** {inert(entry.contact_role)}, {inert(entry.council_name)}")
        st.link_button("Read the story", entry.link)
        st.caption(f"Reviewed by {inert(entry.reviewed)}")

# --- for one council ---------------------------------------------------------------------------------
st.header("Where a council could look for ideas")
st.write(
    "For each measure where the council is in the bottom quartile of the region or getting worse (at the "
    "measure's latest period): the case studies on it and the councils in the top quartile that are improving."
)
asked_for = params.council("for")
all_councils = [ALL, *councils]
chosen = st.selectbox(
    "Your council",
    all_councils,
    index=all_councils.index(asked_for.council_code) if asked_for else 0,
    format_func=lambda c: councils[c].display_name if c else "Choose a council",
    key="for",
)
params.write(**{"for": councils[chosen].short_name if chosen else None})
if chosen:
    table = gp.suggestions(chosen)
    if table.empty:
        st.info(f"{councils[chosen].display_name} has no flagged measure with a case study or a council to ask.")
    else:
        st.table(table.set_index("Measure"))
end()
