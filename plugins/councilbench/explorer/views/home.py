"""The explorer's front page (the address without a path): what each page is for, with a
link to it. It is its own page so that every other page keeps its own address: Streamlit
serves the default page at "/", and a link to /metric or /check (the rejection email's)
must open that page, not the front one."""

from __future__ import annotations

import streamlit as st

END = "councilbench explorer: the West Midlands councils' shared benchmarking, read from the marts."

#: (url path, title, what it is for), in the navigation's order.
PAGES = (
    (
        "metric",
        "Metric explorer",
        "Pick a measure and a period: every council ranked, the region and England beside it.",
    ),
    (
        "council",
        "Council profile",
        "How one council compares: quartiles by service, changes, neighbours, who to learn from.",
    ),
    ("region", "Region", "Where the West Midlands as a whole has a problem, and how it compares with England."),
    (
        "practice",
        "Good practice",
        "Case studies from member councils with their figures before and after, and, for a council, what to "
        "read and whom to ask where it is in the bottom quartile or getting worse.",
    ),
    ("submissions", "Submissions", "Each month's returns: on time, late, missing or rejected, and why."),
    ("check", "Check a file", "Check a return before you send it: the same checks and words as our email."),
    (
        "spend",
        "Pooled spend",
        "A partnership group's spend: where its councils could buy together, the suppliers they share, "
        "and how complete their data is.",
    ),
    (
        "pay",
        "Pay benchmarks",
        "What councils pay for common roles: quartiles by role and comparison group, never one council's pay; "
        "withheld figures say why, with the councils' gender pay gap beside them.",
    ),
    ("data", "Open data", "Every table as CSV, with a data package that describes each column."),
)

st.title("West Midlands council benchmarking")
st.write(
    "The 33 councils of the West Midlands share their service figures every month to see how they "
    "measure up to their neighbours. Choose where to start:"
)
for path, title, purpose in PAGES:
    st.page_link(f"views/{path}.py", label=title)
    st.caption(purpose)
st.caption(END)
