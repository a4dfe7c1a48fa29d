"""The Submissions page: a month's returns council by council and a council's history, as
marts.mart_submission_quality has them (read here as the analyst), the rejected file's
failed checks in the words of ops.check_results (read here as the loader), and no email
address anywhere."""

from __future__ import annotations

import re

import warehouse_data as wd
from councilbench.core import catalogue
from councilbench.returns.report_text import CHECK_TITLES
from councilbench.warehouse.connection import connect

MARKER = "Source: marts.mart_submission_quality"
ARRIVED = {"on_time": "On time", "late": "Late", "missing": "Missing", "not_yet_due": "Not yet due"}


def query(warehouse, sql: str, params=(), role: str = "analyst"):
    with connect(warehouse, role=role) as conn:
        return conn.execute(sql, params).fetchall()


def rendered(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[-1].value.startswith(MARKER)


def page_text(at) -> str:
    """Everything the page shows as text: markdown, alerts, metrics and every table cell."""
    parts = [e.value for kind in ("markdown", "info", "warning", "subheader", "title") for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.get("metric")]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(map(str, parts))


def markdown_text(at) -> list[str]:
    """The markdown as read (backslash escapes undone)."""
    return [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]


def test_the_latest_due_month_council_by_council(open_page, built):
    [(month,)] = query(
        built.warehouse,
        """select max(return_month) from marts.mart_submission_quality
           where return_month in (select return_month from marts.mart_submission_quality
                                  group by 1 having bool_and(due_date < current_date))""",
    )
    rows = query(
        built.warehouse,
        """select council_name, timeliness, files_received, rejected, resubmitted
           from marts.mart_submission_quality where return_month = %s order by council_name""",
        (month,),
    )
    at = open_page("submissions")
    rendered(at)
    assert at.selectbox(key="month").value == month and at.query_params["period"] == month
    table = at.dataframe[0].value
    shown = list(
        zip(table["Council"], table["Arrived"], table["Files"], table["Rejected"], table["Resubmitted"], strict=True)
    )
    assert shown == [
        (name, ARRIVED[t], files, "Yes" if rej else "No", "Yes" if resub else "No")
        for name, t, files, rej, resub in rows
    ]
    metrics = {m.label: m.value for m in at.get("metric")}
    on_time = sum(1 for r in rows if r[1] == "on_time")
    assert metrics["On time"] == f"{on_time} of {len(rows)}"
    assert metrics["Rejected"] == str(sum(1 for r in rows if r[3]))


def test_a_rejected_file_says_which_checks_failed_and_the_council_history(open_page, built):
    code, month = wd.SCENARIO.rejected
    council = catalogue.councils()[code]
    failed = query(
        built.warehouse,
        """select r.check_name, r.message from ops.check_results r join ops.submissions s using (submission_id)
           where s.subject = %s and s.period = %s and s.status = 'rejected' and r.outcome = 'fail'""",
        (code, month),
        role="loader",
    )
    assert failed
    at = open_page("submissions", period=month, council=council.short_name)
    rendered(at)
    assert at.selectbox(key="month").value == month and at.selectbox(key="council").value == code
    table = at.dataframe[0].value.set_index("Council")
    row = table.loc[council.name]
    assert (row["Rejected"], row["Resubmitted"], row["Now"]) == ("Yes", "Yes", "Accepted and loaded")
    for check, message in failed:
        assert f"{CHECK_TITLES[check]}: {message}" in row["Why it was rejected"]
        assert any(CHECK_TITLES[check] in m and message in m for m in markdown_text(at))
    assert (table["Why it was rejected"] != "").sum() == sum(1 for v in table["Rejected"] if v == "Yes")

    history = at.dataframe[1].value
    months = query(
        built.warehouse,
        """select return_month, timeliness, rejected from marts.mart_submission_quality
           where council_code = %s order by return_month desc""",
        (code,),
    )
    assert len(history) == len(months)
    assert [ARRIVED[t] for _, t, _ in months] == history["Arrived"].tolist()
    assert [("Yes" if r else "No") for *_, r in months] == history["Rejected"].tolist()
    due = [m for m in months if m[1] != "not_yet_due"]
    summary = next(m.value for m in at.markdown if m.value.startswith(council.name))
    assert f"over the {len(due)} months due" in summary
    assert f"rejected in {sum(1 for *_, r in due if r)}" in summary

    assert not re.search(r"[\w.+-]+@[\w-]+\.", page_text(at)), "an email address is shown"


def test_bad_months_and_councils_in_the_address_are_said_and_harmless(open_page, built):
    at = open_page("submissions", period="2026-04'; delete from ops.submissions; --", council="nowhere")
    rendered(at)
    assert len(at.warning) == 2 and all("not known here" in w.value for w in at.warning)
    assert at.selectbox(key="council").value == ""
