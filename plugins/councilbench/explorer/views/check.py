"""The explorer's Check a file page: a council chooses itself and the month, uploads its
return (CSV or Excel .xlsx) and sees exactly what the platform's email would say about it,
the failing rows and the failing-rows CSV the email attaches. The rejection email and the
reminder link here (?council=<short name>&period=<month>). Nothing uploaded is kept,
landed, loaded or counted as a submission (explorer.selfcheck says how)."""

from __future__ import annotations

import streamlit as st

from councilbench.explorer import params, selfcheck, server
from councilbench.reports import format as fmt

END = "Nothing you upload on this page is kept, loaded or counted as a submission. End of the Check a file page."
NO_COUNCIL = ""


def end() -> None:
    st.caption(END)


st.title("Check a file")
st.write(
    "Check your council's monthly return before you publish it. This runs exactly the checks the platform runs "
    "when it collects the file, against the figures it already holds, and shows exactly what its email would "
    "say: what must be fixed, row by row, and what was tidied up."
)

councils = params.councils()
asked_council = params.council()
offered = selfcheck.months_offered()
asked_month = params.month(offered)

codes = [NO_COUNCIL, *councils]
top = st.columns(2)
council_code = top[0].selectbox(
    "Your council",
    codes,
    index=codes.index(asked_council.council_code) if asked_council else 0,
    format_func=lambda c: "Choose your council" if c == NO_COUNCIL else councils[c].council_name,
    key="council",
)
month = top[1].selectbox(
    "The month the return is for",
    offered,
    index=offered.index(asked_month or selfcheck.default_month()),
    format_func=fmt.month_label,
    key="period",
)
council = councils.get(council_code)
params.write(council=council.short_name if council else None, period=month)

upload = st.file_uploader(
    "Your return: the CSV or Excel (.xlsx) file, as you would publish it",
    type=None,  # the content decides, as in the pipeline: a wrong file gets the pipeline's own message
    max_upload_size=server.UPLOAD_LIMIT_MB,
    key="upload",
)
if council is None:
    st.info("Choose your council to check a file.")
    end()
    st.stop()
if upload is None:
    st.info(f"Upload {council.display_name}'s return for {fmt.month_label(month)} to check it.")
    end()
    st.stop()

result = selfcheck.check_file(upload.getvalue(), council.council_code, month, file_name=upload.name)
if result.rejected:
    st.error("This file would be rejected: nothing from it would be loaded. The email would say what is below.")
elif result.warned:
    st.warning("This file would be accepted, with figures to check. The email would say what is below.")
else:
    st.success("This file would be accepted. The email would say what is below.")

st.subheader("What the email would say")
st.code(result.text, language=None, wrap_lines=True)

if result.csv is not None:
    st.subheader("The rows to look at")
    st.dataframe(result.failing_rows(), hide_index=True, width="stretch")
    st.download_button(
        "Download these rows (CSV)",
        result.csv.encode("utf-8"),
        file_name=result.csv_name,
        mime="text/csv",
        on_click="ignore",
        key="download",
    )
end()
