"""marts.mart_submission_quality recomputed independently (issue 18 item 1), from the
ledger the returns loader keeps (ops.submissions, ops.fetch_attempts, ops.check_results),
the registry seed and the settings, by the rules of
models/marts/submissions/_marts__submissions.yml, not by its SQL:

- one row per council and reporting month, from the first to the last month the ledger
  knows (files or fetch attempts), so a month with nothing is a row too;
- due on COUNCILBENCH_RETURNS_DUE_DAY of the following month (its last day when that month
  is shorter); on time / late judge the first file's UK date against it; a month with no
  file is missing once the due date has passed, not_yet_due until then;
- rejected / resubmitted / the checks failed and warned over all the month's files; what
  the newest rejected file failed, "check_name: message" a line, in check-name order;
- the newest file's status and id (missing when none), whether the loaded file came by
  the due date, and the fetch attempts: how many, how many found no file, the last one."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from councilbench.core import settings
from councilbench.dev.oracle.frames import read_frame
from councilbench.dev.oracle.spend import add_months, seed
from councilbench.warehouse.connection import Warehouse

UK = ZoneInfo("Europe/London")


def read_ledger(warehouse: Warehouse) -> dict:
    """The council returns' ledger, read as the loader, and the warehouse's today."""

    def ops(query: str) -> pd.DataFrame:
        return read_frame(warehouse, query, role="loader")

    return {
        "submissions": ops(
            """select submission_id, subject as council_code, period as return_month, status, fetched_at
               from ops.submissions where source_kind = 'council_return'"""
        ),
        "attempts": ops(
            """select attempt_id, subject as council_code, period as return_month, outcome, attempted_at
               from ops.fetch_attempts where source_kind = 'council_return'"""
        ),
        "checks": ops(
            """select r.submission_id, r.check_name, r.outcome, r.message from ops.check_results as r
               join ops.submissions as s using (submission_id) where s.source_kind = 'council_return'"""
        ),
        "today": ops("select current_date as today").today[0],
    }


def due_date(return_month: str, due_day: int) -> dt.date:
    """The due day of the month after, or that month's last day if it is shorter."""
    following = add_months(dt.date.fromisoformat(f"{return_month}-01"), 1)
    return following.replace(day=min(due_day, calendar.monthrange(following.year, following.month)[1]))


def uk_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(UK).date()


def _grouped(frame: pd.DataFrame, *key: str) -> dict:
    """Records by key, as plain dicts (a few thousand: loops over dicts beat frames here)."""
    out: dict = {}
    for record in frame.to_dict("records"):
        out.setdefault(tuple(record[k] for k in key) if len(key) > 1 else record[key[0]], []).append(record)
    return out


def submission_quality(ledger: dict, due_day: int | None = None) -> pd.DataFrame:
    due_day = due_day or settings.returns_due_day()
    files, attempts, today = ledger["submissions"], ledger["attempts"], ledger["today"]
    known = sorted(set(files.return_month) | set(attempts.return_month))
    months, month = [], dt.date.fromisoformat(f"{known[0]}-01")
    while f"{month:%Y-%m}" <= known[-1]:
        months.append(f"{month:%Y-%m}")
        month = add_months(month, 1)
    files_of = _grouped(files, "council_code", "return_month")
    attempts_of = _grouped(attempts, "council_code", "return_month")
    checks_of = _grouped(ledger["checks"], "submission_id")
    rows = []
    for council in seed("council_registry").itertuples(index=False):
        for return_month in months:
            due = due_date(return_month, due_day)
            tried = sorted(
                attempts_of.get((council.gss_code, return_month), []),
                key=lambda a: (a["attempted_at"], a["attempt_id"]),
            )
            rows.append(
                {
                    "council_code": council.gss_code,
                    "council_name": council.council_name,
                    "tier": council.tier,
                    "return_month": return_month,
                    "due_date": due,
                    **_files(files_of.get((council.gss_code, return_month), []), checks_of, due, today),
                    "fetch_attempts": len(tried),
                    "fetch_attempts_without_file": sum(a["outcome"] in ("not_received", "error") for a in tried),
                    "last_fetch_outcome": tried[-1]["outcome"] if tried else None,
                    "last_attempted_at": tried[-1]["attempted_at"] if tried else None,
                }
            )
    return pd.DataFrame(rows, dtype=object)


def _files(got: list[dict], checks_of: dict, due: dt.date, today: dt.date) -> dict:
    """The columns that describe the month's files."""
    if not got:
        return {
            "first_received_at": None,
            "last_received_at": None,
            "files_received": 0,
            "on_time": False,
            "late": False,
            "missing": True,
            "days_after_due_date": None,
            "timeliness": "not_yet_due" if today <= due else "missing",  # the due day itself is not past
            "rejected": False,
            "files_rejected": 0,
            "resubmitted": False,
            "checks_failed": 0,
            "checks_warned": 0,
            "failed_check_messages": None,
            "final_status": "missing",
            "final_submission_id": None,
            "accepted_by_due_date": False,
        }
    newest_first = sorted(got, key=lambda f: (f["fetched_at"], f["submission_id"]), reverse=True)
    first_received = min(f["fetched_at"] for f in got)
    first_day = uk_date(first_received)
    outcomes = [c["outcome"] for f in got for c in checks_of.get(f["submission_id"], [])]
    rejected = [f for f in newest_first if f["status"] == "rejected"]
    failed = sorted(
        (c for c in checks_of.get(rejected[0]["submission_id"], []) if c["outcome"] == "fail") if rejected else [],
        key=lambda c: c["check_name"],
    )
    loaded = [f["fetched_at"] for f in got if f["status"] == "loaded"]
    return {
        "first_received_at": first_received,
        "last_received_at": max(f["fetched_at"] for f in got),
        "files_received": len(got),
        "on_time": first_day <= due,
        "late": first_day > due,
        "missing": False,
        "days_after_due_date": (first_day - due).days,
        "timeliness": "on_time" if first_day <= due else "late",
        "rejected": bool(rejected),
        "files_rejected": len(rejected),
        "resubmitted": len(got) > 1,
        "checks_failed": outcomes.count("fail"),
        "checks_warned": outcomes.count("warn"),
        "failed_check_messages": "\n".join(f"{c['check_name']}: {c['message']}" for c in failed) or None,
        "final_status": newest_first[0]["status"],
        "final_submission_id": newest_first[0]["submission_id"],
        "accepted_by_due_date": bool(loaded) and uk_date(max(loaded)) <= due,
    }
