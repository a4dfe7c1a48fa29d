"""The Submissions page's data, from marts.mart_submission_quality only (the analyst role
reads no ops table): each council's state for a month (on time, late, missing, rejected
with why, resubmitted) and one council's history, in words a council officer reads.

The mart holds no contact details; a failed check's message is still passed through
`no_addresses` before it is shown, so no email address can reach the page from a message.
"""

from __future__ import annotations

import re

import pandas as pd

from councilbench.core.calendar import day_label
from councilbench.explorer import db
from councilbench.reports import format as fmt
from councilbench.returns.report_text import CHECK_TITLES

TIMELINESS = {
    "on_time": "On time",
    "late": "Late",
    "missing": "Missing",
    "not_yet_due": "Not yet due",
}

#: The newest file's status, as the page says it.
FINAL_STATUS = {
    "loaded": "Accepted and loaded",
    "rejected": "Rejected",
    "received": "Received, being checked",
    "superseded": "Replaced by a newer file",
    "missing": "No file",
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~$-])")

_COLUMNS = """council_code, council_name, return_month, due_date, first_received_at, files_received,
    timeliness, days_after_due_date, rejected, files_rejected, resubmitted, checks_failed, checks_warned,
    failed_check_messages, final_status"""


def months() -> pd.DataFrame:
    """Every reporting month of the mart, newest first, with `due`: its due date has passed."""
    return db.cached_query(
        """
        select return_month, bool_and(due_date < current_date) as due
        from marts.mart_submission_quality group by return_month order by return_month desc"""
    )


def default_month(all_months: pd.DataFrame) -> str | None:
    """The latest month whose return is due (the month officers ask about); else the latest."""
    if all_months.empty:
        return None
    due = all_months[all_months["due"]]
    return (due if not due.empty else all_months)["return_month"].iloc[0]


def month_rows(month: str) -> pd.DataFrame:
    """One row per council for the month, by council name."""
    return db.cached_query(
        f"select {_COLUMNS} from marts.mart_submission_quality where return_month = %s order by council_name",
        (month,),
    )


def council_rows(council_code: str) -> pd.DataFrame:
    """One council's months, newest first."""
    return db.cached_query(
        f"select {_COLUMNS} from marts.mart_submission_quality where council_code = %s order by return_month desc",
        (council_code,),
    )


def counts(rows: pd.DataFrame) -> dict[str, int]:
    """How many councils were on time, late, missing, rejected and resubmitted."""
    return {
        "On time": int((rows["timeliness"] == "on_time").sum()),
        "Late": int((rows["timeliness"] == "late").sum()),
        "Missing": int((rows["timeliness"] == "missing").sum()),
        "Rejected": int(rows["rejected"].sum()),
        "Resubmitted": int(rows["resubmitted"].sum()),
    }


def no_addresses(text: str) -> str:
    return _EMAIL.sub("[address removed]", text)


def inert(text: str) -> str:
    """Text shown in Markdown as written: no emphasis, links or code spans from a council's
    name or a check's message."""
    return _MARKDOWN.sub(r"\\\1", text)


def history_summary(council_name: str, rows: pd.DataFrame) -> str:
    """'Over the 14 months due: on time 12, late 1, missing 1; a file was rejected in 1.'"""
    due = rows[rows["timeliness"] != "not_yet_due"]
    c = counts(due)
    return (
        f"{council_name}, over the {fmt.plural(len(due), 'month')} due: on time in {c['On time']}, late in "
        f"{c['Late']}, missing in {c['Missing']}; a file was rejected in {c['Rejected']} and sent again in "
        f"{c['Resubmitted']}."
    )


def failed_checks(messages: str | None) -> list[tuple[str, str]]:
    """mart_submission_quality.failed_check_messages ("check_name: message" per line) as
    (the check's title in the rejection email, its message), in the email's check order."""
    if not isinstance(messages, str) or not messages:  # null in the mart (a NaN in pandas)
        return []
    out = []
    for line in messages.splitlines():
        name, _, message = line.partition(": ")
        out.append((name, no_addresses(message.strip())))
    order = list(CHECK_TITLES)
    out.sort(key=lambda c: order.index(c[0]) if c[0] in order else len(order))
    return [(CHECK_TITLES.get(name, name.replace("_", " ").capitalize()), message) for name, message in out]


def failed_checks_words(messages: str | None) -> str:
    """The failed checks on one line: "Values within plausible bounds: 2 values are ...; ..."."""
    return "; ".join(f"{title}: {message}" for title, message in failed_checks(messages))


def _when(rows: pd.DataFrame) -> list[str]:
    """The first file's day (UK time), with how late or early it came."""
    out = []
    for received, days in zip(rows["first_received_at"], rows["days_after_due_date"], strict=True):
        if received is None or pd.isna(received):
            out.append("–")
            continue
        day = day_label(pd.Timestamp(received).tz_convert("Europe/London"))
        if days is not None and not pd.isna(days) and int(days) > 0:
            day += f" ({fmt.plural(int(days), 'day')} after the due date)"
        out.append(day)
    return out


def _state(rows: pd.DataFrame) -> list[str]:
    return [TIMELINESS.get(t, t) for t in rows["timeliness"]]


def _yes(values) -> list[str]:
    return ["Yes" if bool(v) else "No" for v in values]


def month_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The month, one row per council, as the page shows it."""
    return pd.DataFrame({"Council": rows["council_name"].tolist(), **_what_arrived(rows)})


def history_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One council's months, as the page shows them."""
    return pd.DataFrame(
        {
            "Month": [fmt.month_label(m) for m in rows["return_month"]],
            "Due": [day_label(d) for d in rows["due_date"]],
            **_what_arrived(rows),
        }
    )


def _what_arrived(rows: pd.DataFrame) -> dict[str, list]:
    """The columns both tables share: a council-month's files and what became of them."""
    return {
        "Arrived": _state(rows),
        "First file": _when(rows),
        "Files": rows["files_received"].astype(int).tolist(),
        "Rejected": _yes(rows["rejected"]),
        "Resubmitted": _yes(rows["resubmitted"]),
        "Now": [FINAL_STATUS.get(s, s) for s in rows["final_status"]],
        "Why it was rejected": [failed_checks_words(m) for m in rows["failed_check_messages"]],
    }
