"""The checks of a spend file beyond what its reader found, in ONE Great Expectations
run for a whole batch (expectations/council_spend.json), and their words.

The reader (read.py) says whether the file could be read at all: `readable`, `columns`
(naming the missing fields and the headers seen), `amounts` and `dates` (cells that are
not numbers or dates, or '#N/A' where a payment needs one), `suppliers` ('#N/A' for the
supplier) and `blank_values`. What is judged here needs the file's context:
the period it was fetched for, the council whose source served it, its other lines and
the council's earlier periods:

- `period`: every payment date inside the file's period (a file of the previous period
  published again is all outside it); not judged when the reader found the file's dates
  may be month first (its `dates` finding): they cannot be trusted either way;
- `transaction_reference`: every line has a transaction number;
- `no_duplicates`: no line repeats another exactly;
- `body`: the body the file names is the council whose source served it;
- `under_500` (warning): a line under £500 is part of a larger transaction or a
  purchase card transaction (the Code publishes every card transaction);
- `usual_total` (warning): the period's total is not far off the council's usual
  (the median of its earlier loaded periods); no history, no warning.

Each failing check says which rows, what was wrong, what is accepted and how to fix it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from councilbench.core import catalogue
from councilbench.core.calendar import month_label
from councilbench.ingest import expectations
from councilbench.ingest.checks import CheckOutcome
from councilbench.ingest.councils import council_named
from councilbench.ingest.words import failing, row_list
from councilbench.spend.headers import CANONICAL_FIELDS
from councilbench.spend.result import SpendRead, plural

SUITE = "council_spend"
#: A period's total this many times the usual (or this many times smaller) is worth a look:
#: seasons move a council's spend by a third at most; pence for pounds moves it 100 times.
USUAL_TOTAL_FACTOR = 3.0
#: How many earlier periods make the council's usual total.
USUAL_TOTAL_PERIODS = 12
SHOWN = 5  # rows named in a message


@dataclass
class SpendFile:
    """One file of a batch: what its reader made of it, and what it was fetched as."""

    read: SpendRead
    council_code: str
    period: str  # YYYY-MM, or YYYY-Qn for a quarterly publisher


# --- periods ------------------------------------------------------------------------------


def is_quarter(period: str) -> bool:
    return "-Q" in period


def period_of(day: date, quarterly: bool) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}" if quarterly else f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a month (YYYY-MM) or calendar quarter (YYYY-Qn)."""
    year = int(period[:4])
    first, last = (3 * int(period[-1]) - 2, 3 * int(period[-1])) if is_quarter(period) else (int(period[5:7]),) * 2
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def period_label(period: str) -> str:
    """'2026-02' -> 'February 2026'; '2026-Q1' -> 'January to March 2026'."""
    first, last = period_bounds(period)
    if not is_quarter(period):
        return month_label(period)
    return f"{calendar.month_name[first.month]} to {calendar.month_name[last.month]} {first.year}"


# --- the batch's frame and its one GX run ------------------------------------------------


def _file_rows(key: int, f: SpendFile, threshold: float):
    import pandas as pd

    frame = f.read.frame
    quarterly = is_quarter(f.period)
    net = pd.to_numeric(frame["net_amount"], errors="coerce")
    tx = frame["transaction_number"].where(frame["transaction_number"] != "", None)
    # A transaction number's lines together; a line without one stands alone.
    totals = net.groupby(tx, dropna=True).transform("sum").where(tx.notna(), net)
    card = frame["card_transaction"].map(lambda v: v is True)
    small = (net >= 0) & (net < threshold) & ~card
    bodies = {b: council_named(b) for b in frame["body"].unique()}
    dates = frame["payment_date"]
    return pd.DataFrame(
        {
            "file_key": key,
            "row_number": frame["row_number"],
            "payment_date": dates,
            "payment_period": [period_of(d, quarterly) if d is not None else None for d in dates],
            "expected_period": f.period,
            "transaction_number": tx,
            "line_key": pd.util.hash_pandas_object(frame[list(CANONICAL_FIELDS)].astype(str), index=False),
            "body": frame["body"],
            "body_council": frame["body"].map(bodies),
            "expected_council_code": f.council_code,
            "net_amount": net,
            "transaction_total": totals,
            "small_line_transaction_total": totals.where(small),
        }
    )


def gx_checks(files: list[SpendFile]) -> list[list[CheckOutcome]]:
    """The suite's checks for every file, in ONE GX run over all their lines. A file with
    no lines read (its reader failed it) gets none: the reader's finding says why."""
    import pandas as pd

    suite = expectations.load_suite(SUITE)
    threshold = float(suite["meta"]["threshold_pounds"])
    parts = [_file_rows(k, f, threshold) for k, f in enumerate(files) if f.read.frame is not None]
    out: list[list[CheckOutcome]] = [[] for _ in files]
    if not parts:
        return out
    frame = pd.concat(parts, ignore_index=True)
    groups = expectations.by_check(expectations.run_suite(frame, suite, {"threshold_pounds": threshold}))
    for group in groups:
        bad = frame.loc[group.failing] if group.failing else frame.iloc[:0]
        bad_by_file = dict(list(bad.groupby("file_key")))
        for k, f in enumerate(files):
            if f.read.frame is None or (group.check == "period" and f.read.dates_in_doubt):
                continue  # dates read the wrong way round would be 'outside the period' for nothing
            rows = bad_by_file.get(k)
            mine = frame[frame["file_key"] == k] if group.check == "no_duplicates" and rows is not None else None
            out[k].append(WORDS[group.check](f, rows, mine, threshold))
    return out


# --- the words of each check ------------------------------------------------------------


def _pounds(x) -> str:
    return f"-£{-x:,.2f}" if x < 0 else f"£{x:,.2f}"


def _day(d) -> str:
    return f"{d:%d/%m/%Y}" if d is not None else "no date"


def _shown(rows, describe) -> str:
    listed = [describe(r) for r in rows.head(SHOWN).itertuples()]
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return ", ".join(listed) + more


def _period(f: SpendFile, rows, _mine, _threshold) -> CheckOutcome:
    label = period_label(f.period)
    first, last = period_bounds(f.period)
    accepted = f"payment dates from {first:%d/%m/%Y} to {last:%d/%m/%Y}"
    if rows is None:
        return CheckOutcome("period", "fail", "pass", f"Every payment date is in {label}, the period of the file.")
    others = sorted(set(rows["payment_period"]))
    if len(rows) == len(f.read.frame) and len(others) == 1:
        message = (
            f"Every line is dated in {period_label(others[0])}, none in {label}, the period this file was "
            f"fetched for: it looks like the {period_label(others[0])} file published again at {label}'s address. "
            f"Publish the spend file for {label} (accepted: {accepted})."
        )
    else:
        message = (
            f"{plural(len(rows), 'line')} {'is' if len(rows) == 1 else 'are'} dated outside {label}, the period "
            f"this file is for: {_shown(rows, lambda r: f'row {r.row_number} dated {_day(r.payment_date)}')}. "
            f"Accepted: {accepted}. Correct the dates, or move these lines to the file for the period they were "
            f"paid in, and publish the file again."
        )
    return failing(
        "period", message, [_row(r, "payment_date", _day(r.payment_date), accepted) for r in rows.itertuples()]
    )


def _transaction_reference(f: SpendFile, rows, _mine, _threshold) -> CheckOutcome:
    accepted = "the payment's transaction or invoice number from the finance system"
    if rows is None:
        return CheckOutcome("transaction_reference", "fail", "pass", "Every line has a transaction number.")
    if "transaction_number" not in f.read.columns:
        message = (
            f"The file has no transaction number column, so its payments cannot be traced or their lines told "
            f"apart. Add a column such as 'Transaction Number' or 'Invoice Number' ({accepted}) and publish the "
            f"file again."
        )
    else:
        message = (
            f"{plural(len(rows), 'line')} {'has' if len(rows) == 1 else 'have'} no transaction number: "
            f"{row_list(rows['row_number'].tolist())}. Accepted: {accepted}. Fill them in and publish the file again."
        )
    return failing(
        "transaction_reference", message, [_row(r, "transaction_number", "", accepted) for r in rows.itertuples()]
    )


def _no_duplicates(f: SpendFile, rows, mine, _threshold) -> CheckOutcome:
    if rows is None:
        return CheckOutcome("no_duplicates", "fail", "pass", "No line repeats another line exactly.")
    first_row = mine.groupby("line_key")["row_number"].min()
    repeats = rows[rows["row_number"] != rows["line_key"].map(first_row)]
    shown = _shown(
        repeats,
        lambda r: (
            f"row {r.row_number} repeats row {first_row[r.line_key]} ({_day(r.payment_date)}, "
            f"{_pounds(r.net_amount)}, transaction {r.transaction_number or 'none'})"
        ),
    )
    message = (
        f"{plural(len(repeats), 'line')} {'repeats' if len(repeats) == 1 else 'repeat'} an earlier line exactly, "
        f"every field the same: {shown}. Loaded as they are, each would count the payment twice. Remove the "
        f"repeated lines (or, if they are separate payments, give each its own transaction number) and publish "
        f"the file again."
    )
    accepted = "each payment line once"
    return failing(
        "no_duplicates",
        message,
        [_row(r, "line", f"repeats row {first_row[r.line_key]}", accepted) for r in repeats.itertuples()],
    )


def _body(f: SpendFile, rows, _mine, _threshold) -> CheckOutcome:
    council = catalogue.councils()[f.council_code]
    accepted = f"'{council.name}' or {council.code}"
    if rows is None:
        return CheckOutcome("body", "fail", "pass", f"The file names no body other than {council.name}.")
    named = rows["body"].unique().tolist()
    others = [catalogue.councils()[c].name for c in rows["body_council"].unique() if c in catalogue.councils()]
    whose = f" It may be {' or '.join(others)}'s file." if others else ""
    message = (
        f"The file says it is from {' and '.join(repr(b) for b in named)} ({row_list(rows['row_number'].tolist())}), "
        f"but it was fetched from {council.name}'s spend address.{whose} Accepted in the body column: {accepted}. "
        f"Publish {council.name}'s own spend file at its address."
    )
    return failing("body", message, [_row(r, "body", r.body, accepted) for r in rows.itertuples()])


def _under_500(f: SpendFile, rows, _mine, threshold) -> CheckOutcome:
    limit = _pounds(threshold)
    if rows is None:
        return CheckOutcome(
            "under_500", "warn", "pass", f"Every line under {limit} is part of a larger transaction or a card payment."
        )
    shown = _shown(rows, lambda r: f"row {r.row_number} {_pounds(r.net_amount)}")
    message = (
        f"{plural(len(rows), 'line')} {'is' if len(rows) == 1 else 'are'} under {limit} and not part of a larger "
        f"transaction (no other line with the same transaction number brings it to {limit}): {shown}. Loaded as "
        f"they are. The file is for payments of {limit} or more: leave smaller payments out unless they are "
        f"purchase card transactions, and give the lines of one invoice the same transaction number."
    )
    accepted = f"{limit} or more, a part of a transaction of {limit} or more, or a card transaction"
    return failing(
        "under_500",
        message,
        [_row(r, "net_amount", _pounds(r.net_amount), accepted) for r in rows.itertuples()],
        severity="warn",
    )


def _row(r, column: str, found, accepted: str) -> dict:
    return {"row": int(r.row_number), "column": column, "found": str(found), "accepted": accepted}


WORDS = {
    "period": _period,
    "transaction_reference": _transaction_reference,
    "no_duplicates": _no_duplicates,
    "body": _body,
    "under_500": _under_500,
}


# --- the period's total against the council's usual ---------------------------------------


def period_total(read: SpendRead) -> float:
    import pandas as pd

    return float(pd.to_numeric(read.frame["net_amount"], errors="coerce").sum())


def usual_total(f: SpendFile, total: float, history: dict[str, float]) -> CheckOutcome:
    """Warn when the period's total is USUAL_TOTAL_FACTOR times the council's usual or more,
    or as many times less. history: its earlier loaded periods' totals (period -> £)."""
    import statistics

    earlier = sorted(p for p in history if p < f.period and is_quarter(p) == is_quarter(f.period))
    earlier = earlier[-USUAL_TOTAL_PERIODS:]
    label = period_label(f.period)
    if not earlier:
        return CheckOutcome("usual_total", "warn", "pass", f"No earlier period loaded to compare {label}'s total with.")
    usual = statistics.median(history[p] for p in earlier)
    ratio = total / usual if usual > 0 else None
    words = f"{label}'s lines add up to {_pounds(total)}; the usual is {_pounds(usual)} (the median of {plural(len(earlier), 'earlier period')})"
    if ratio is None or 1 / USUAL_TOTAL_FACTOR < ratio < USUAL_TOTAL_FACTOR:
        return CheckOutcome("usual_total", "warn", "pass", words + ".")
    how = f"{ratio:,.1f} times" if ratio >= 1 else f"a {1 / ratio:,.1f}th of" if ratio > 0 else "nothing like"
    return failing(
        "usual_total",
        f"{words}: this period is {how} the usual. Loaded as it is, but check that the amounts are in pounds "
        f"(not pence), that the file holds this period's payments only and none are missing; if it is wrong, "
        f"publish a corrected file.",
        [{"row": None, "column": "net_amount", "found": _pounds(total), "accepted": f"about {_pounds(usual)}"}],
        severity="warn",
    )
