"""The explorer's Submissions page: a month's returns council by council (on time, late,
missing, rejected and why, resubmitted) and one council's history, from
marts.mart_submission_quality only. The address carries the month and the council
(?period=&council=)."""

from __future__ import annotations

import streamlit as st

from councilbench.core.calendar import day_label
from councilbench.explorer import params
from councilbench.explorer import submissions as subs
from councilbench.reports import format as fmt

END = "Source: marts.mart_submission_quality. End of the Submissions page."
NO_COUNCIL = ""


def end() -> None:
    st.caption(END)


st.title("Submissions")
st.write(
    "How each council's monthly return arrived: on time, late or missing, whether a file was rejected and "
    "why, and whether it was sent again."
)

all_months = subs.months()
if all_months.empty:
    st.info("No return has been collected yet: the month's state appears here once the first one has.")
    end()
    st.stop()

month_list = all_months["return_month"].tolist()
asked_month = params.month(month_list)
month = st.selectbox(
    "Month",
    month_list,
    index=month_list.index(asked_month or subs.default_month(all_months)),
    format_func=fmt.month_label,
    key="month",
)
rows = subs.month_rows(month)
st.subheader(f"{fmt.month_label(month)}: due by {day_label(rows['due_date'].iloc[0])}")

for column, (label, count) in zip(st.columns(5), subs.counts(rows).items(), strict=True):
    column.metric(label, f"{count} of {len(rows)}" if label in ("On time", "Late", "Missing") else count)

st.dataframe(subs.month_table(rows), hide_index=True, width="stretch")

rejected = rows[rows["rejected"]]
if not rejected.empty:
    st.subheader("Why files were rejected")
    st.write("What each council's newest rejected file failed, in the words of its rejection email.")
    for r in rejected.itertuples():
        now = subs.FINAL_STATUS.get(r.final_status, r.final_status).lower()
        st.markdown(f"**{subs.inert(r.council_name)}** (now: {now})")
        checks = subs.failed_checks(r.failed_check_messages)
        lines = [f"- **{subs.inert(title)}:** {subs.inert(message)}" for title, message in checks]
        st.markdown("\n".join(lines) or "- The reasons were not recorded.")

# --- one council's history ------------------------------------------------------------------------
st.header("A council's history")
councils = params.councils()
asked_council = params.council()
codes = [NO_COUNCIL, *councils]
council_code = st.selectbox(
    "Council",
    codes,
    index=codes.index(asked_council.council_code) if asked_council else 0,
    format_func=lambda c: "Choose a council" if c == NO_COUNCIL else councils[c].council_name,
    key="council",
)
council = councils.get(council_code)
params.write(period=month, council=council.short_name if council else None)
if council:
    history = subs.council_rows(council.council_code)
    st.write(subs.history_summary(council.council_name, history))
    st.dataframe(subs.history_table(history), hide_index=True, width="stretch")
end()
