"""Payment lines typed cell by cell: what each habit took and what could not be read.

The file reader (read.py) hands over the rows below the header; `Lines` turns each into
the canonical fields through the value readers (values.py), counts every habit it
normalised (result.Tally) and keeps every cell it could not read, to be one finding per
kind of problem with its rows. Whether a file's numeric dates are day first is decided
here, over all of them: one cell such as 02/03/2026 cannot say.

An Excel error such as '#N/A' (a lookup that found nothing) is read as blank in a column
a payment can do without, but in one it cannot (its date, supplier, amount) it is a cell
that cannot be read: the value exists and is not known, so the line is never loaded
without it.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from councilbench.ingest.checks import CheckOutcome
from councilbench.spend import values
from councilbench.spend.headers import CANONICAL_FIELDS, REQUIRED_FIELDS, Mapping
from councilbench.spend.result import (
    Normalisation,
    Tally,
    failing,
    field_words,
    plural,
    quote_list,
    row_list,
)

TEXT_FIELDS = tuple(
    f for f in CANONICAL_FIELDS if f not in ("payment_date", "net_amount", "irrecoverable_vat", "card_transaction")
)
#: Identifies the beneficiary: emptied with the name on a redacted line.
SUPPLIER_FIELDS = ("supplier_name", "supplier_id", "vat_registration", "company_number")
ACCEPTED_SUPPLIERS = "the supplier's name, or a redaction such as 'REDACTED PERSONAL DATA' for a person"
HABIT_WORDS = {
    "pound": "{n} amount{s} written with '£' (e.g. {example}): read as numbers",
    "commas": "{n} amount{s} written with thousands commas (e.g. {example}): read as numbers",
    "brackets": "{n} negative amount{s} written in brackets (e.g. {example}): read as negative",
    "float": "{n} amount{s} carried a spreadsheet rounding error (e.g. {example}): read to the penny",
    "sub_pence": "{n} amount{s} had more than two decimal places (e.g. {example}): rounded to the penny",
    "negative": "{n} credit note{s} or refund{s} (negative amounts, e.g. {example}): kept as negative lines, netted in totals",
    "excel_error": "{n} cell{s} held the Excel error '#N/A' ({rows}): read as blank",
    "serial": "{n} date{s} written as Excel serial numbers (e.g. {example}): read as dates",
    "iso_time": "{n} date{s} written with a time of day (e.g. {example}): read as the date",
    "month_name": "{n} date{s} written with the month's name (e.g. {example}): read as dates",
    "company_zeros": "{n} company number{s} written without leading zeros (e.g. {example}): written as 8 digits",
}


class Lines:
    """Payment lines typed column by column (a year of a large council is 100,000 lines:
    one pass per column, value readers cached), with what each habit and error took."""

    def __init__(self, mapping: Mapping, header: list[str], tally: Tally, rows: list[tuple[int, list]]) -> None:
        self.at = {f: mapping.index(f) for f in CANONICAL_FIELDS}
        self.header = header
        self.tally = tally
        self.rows = [rn for rn, _ in rows]
        self.cells = [cells for _, cells in rows]
        self.amount_errors: list[dict] = []
        self.date_errors: list[dict] = []
        self.supplier_errors: list[dict] = []
        self.numeric_dates: list[tuple[int, tuple[int, int], str]] = []  # row, (first, second), text
        self.blank: dict[str, list[int]] = {}
        self.columns: dict[str, list] = {f: self.text(f) for f in TEXT_FIELDS}
        self.columns["payment_date"] = self.dates()
        self.columns["net_amount"] = self.amounts("net_amount")
        self.columns["irrecoverable_vat"] = self.amounts("irrecoverable_vat")
        self.columns["card_transaction"] = self.card_flags(
            mapping.fallbacks.get("card_transaction") == "payment_method"
        )
        self.columns["redacted"] = self.redact()
        self.company_numbers()
        self.columns["row_number"] = self.rows
        self.find_blanks()

    def raw(self, name: str) -> list:
        at = self.at[name]
        if at is None:
            return [None] * len(self.rows)
        return [cells[at] if at < len(cells) else None for cells in self.cells]

    def text(self, name: str) -> list[str]:
        if self.at[name] is None:
            return [""] * len(self.rows)
        out = [" ".join(v.split()) if type(v) is str else values.read_text(v) for v in self.raw(name)]
        for i, v in enumerate(out):
            if v.startswith("#") and values.is_excel_error(v):
                if name == "supplier_name":
                    column = self.header[self.at[name]]
                    problem = _not_known(v, "supplier")
                    self.supplier_errors.append(_bad(self.rows[i], column, v, problem, ACCEPTED_SUPPLIERS))
                else:
                    self.tally.add("excel_error", self.rows[i])
                out[i] = ""
        return out

    def amounts(self, name: str) -> list[Decimal | None]:
        if self.at[name] is None:
            return [None] * len(self.rows)
        column = self.header[self.at[name]]
        raw = self.raw(name)
        out = []
        for rn, cell in zip(self.rows, raw, strict=True):
            read = values.read_amount(cell)
            out.append(read.value)
            error = read.error
            if name in REQUIRED_FIELDS and "excel_error" in read.habits:
                error = _not_known(cell, "amount")
            if error:
                self.amount_errors.append(_bad(rn, column, cell, error, values.ACCEPTED_AMOUNTS))
                continue
            for habit in read.habits:
                if habit != "negative":
                    self.tally.add(habit, rn, None if habit in self.tally.examples else _example(cell, read.value))
                elif name == "net_amount":  # credit notes are counted by their amount, not their VAT
                    self.tally.add(habit, rn, f"row {rn}: {read.value}")
        return out

    def dates(self) -> list:
        column = self.header[self.at["payment_date"]]
        out = []
        for rn, cell in zip(self.rows, self.raw("payment_date"), strict=True):
            read = values.read_payment_date(cell)
            out.append(read.value)
            if read.parts is not None:
                self.numeric_dates.append((rn, read.parts, values.read_text(cell)))
            error = _not_known(cell, "payment date") if read.habit == "excel_error" else read.error
            if error:  # a file written month first is one finding instead (date_order)
                self.date_errors.append(_bad(rn, column, cell, error, values.ACCEPTED_DATES))
            elif read.habit in ("serial", "iso_time", "month_name"):
                example = f"{values.read_text(cell)} = {read.value:%d/%m/%Y}" if read.value else None
                self.tally.add(read.habit, rn, example)
        return out

    def card_flags(self, from_payment_method: bool) -> list[bool | None]:
        if self.at["card_transaction"] is None:
            return [None] * len(self.rows)
        return [values.read_card_flag(v, from_payment_method) for v in self.raw("card_transaction")]

    def redact(self) -> list[bool]:
        """Flag redacted beneficiaries and empty what identifies them."""
        flags = [values.is_redacted(name) for name in self.columns["supplier_name"]]
        for i, flagged in enumerate(flags):
            if flagged:
                self.tally.add("redacted", self.rows[i])
                self.tally.spelling("redacted", self.columns["supplier_name"][i])
                for f in SUPPLIER_FIELDS:
                    self.columns[f][i] = ""
        return flags

    def company_numbers(self) -> None:
        column = self.columns["company_number"]
        for i, text in enumerate(column):
            if text:
                column[i], padded = values.company_number(text)
                if padded:
                    self.tally.add("company_zeros", self.rows[i], column[i])

    def find_blanks(self) -> None:
        redacted = self.columns["redacted"]
        errors = {"payment_date": self.date_errors, "supplier_name": self.supplier_errors}
        for f in REQUIRED_FIELDS:
            # A cell that could not be read is its own finding, not a blank.
            unread = {b["row"] for b in errors.get(f, self.amount_errors)}
            rows = [
                rn
                for rn, v, r in zip(self.rows, self.columns[f], redacted, strict=True)
                if v in ("", None) and not (f == "supplier_name" and r) and rn not in unread
            ]
            if rows:
                self.blank[f] = rows

    # --- what the lines add up to -------------------------------------------------------

    def findings(self) -> list[CheckOutcome]:
        out = []
        if self.amount_errors:
            out.append(_cells_finding("amounts", "amount", self.amount_errors, values.ACCEPTED_AMOUNTS))
        if self.date_order:
            out.append(self.date_order)
        elif self.date_errors:
            out.append(_cells_finding("dates", "payment date", self.date_errors, values.ACCEPTED_DATES))
        if self.supplier_errors:
            out.append(_cells_finding("suppliers", "supplier name", self.supplier_errors, ACCEPTED_SUPPLIERS))
        if self.blank:
            parts = [f"no {field_words(f)} on {row_list(rows)}" for f, rows in self.blank.items()]
            out.append(
                failing(
                    "blank_values",
                    f"Some lines are missing what every payment needs: {'; '.join(parts)}. Fill them in, or remove "
                    f"rows that are not payments (subtotals, notes).",
                    [
                        {"row": r, "column": f, "found": "", "accepted": f"a {field_words(f)}"}
                        for f, rows in self.blank.items()
                        for r in rows
                    ],
                    severity="warn",
                )
            )
        return out

    @cached_property
    def date_order(self) -> CheckOutcome | None:
        """A file whose numeric dates are month first (or may be): a finding, never a guess.
        Then none of its numeric dates can be trusted, read either way."""
        if not self.numeric_dates:
            return None
        column = self.header[self.at["payment_date"]]
        month_first = [(rn, text) for rn, (a, b), text in self.numeric_dates if b > 12 and a <= 12]
        day_first = [(rn, text) for rn, (a, b), text in self.numeric_dates if a > 12 and b <= 12]
        if month_first and not day_first:
            rn, text = month_first[0]
            return failing(
                "dates",
                f"The dates in column '{column}' are written month first: row {rn} has {text}, which can only be "
                f"month/day. UK files are read day first, so every date such as 02/03/2026 in this file is "
                f"ambiguous. Write the dates day first (DD/MM/YYYY) or as 2026-02-15 and publish the file again.",
                [{"row": r, "column": column, "found": t, "accepted": values.ACCEPTED_DATES} for r, t in month_first],
            )
        if day_first or month_first:
            return None  # day first proven; month-first cells, if any, are bad dates of their own
        pairs = {parts for _, parts, _ in self.numeric_dates}
        months_day_first = {b for _, b in pairs}
        months_month_first = {a for a, _ in pairs}
        if len(pairs) >= 4 and len(months_day_first) >= 3 and len(months_month_first) == 1:
            a = next(iter(months_month_first))
            return failing(
                "dates",
                f"The dates in column '{column}' may be written month first: read day first (the UK way) they spread "
                f"over {len(months_day_first)} months, but every one starts with {a:02d}, as if they were all in "
                f"month {a} written month/day. No date has a day above 12 to tell. Write the dates as 2026-02-15 "
                f"(year-month-day) or with the month's name (15-Feb-2026) and publish the file again.",
                [
                    {"row": rn, "column": column, "found": t, "accepted": values.ACCEPTED_DATES}
                    for rn, _, t in self.numeric_dates
                ],
            )
        return None

    def normalisations(self, frame) -> list[Normalisation]:
        out = [self.tally.normalisation(kind, words) for kind, words in HABIT_WORDS.items()]
        if self.numeric_dates and not self.date_order:
            evidence = next(((rn, t) for rn, (a, b), t in self.numeric_dates if a > 12 and b <= 12), None)
            why = (
                f"row {evidence[0]}'s {evidence[1]} can only be day first"
                if evidence
                else "no date has a day above 12 to tell, so UK usage decides"
            )
            n = len(self.numeric_dates)
            out.append(
                Normalisation(
                    "day_first",
                    n,
                    f"{plural(n, 'date')} written as numbers ({self.numeric_dates[0][2]}) read day first ({why})",
                    tuple(rn for rn, _, _ in self.numeric_dates[:10]),
                )
            )
        redacted = self.tally.rows.get("redacted", [])
        if redacted:
            spellings = ", ".join(f"'{s}' x{c}" for s, c in self.tally.spellings["redacted"].most_common(6))
            out.append(
                Normalisation(
                    "redacted",
                    len(redacted),
                    f"{plural(len(redacted), 'redacted beneficiary', 'redacted beneficiaries')} ({spellings}): supplier "
                    f"emptied and the line flagged redacted, never matched to a supplier",
                    tuple(redacted[:10]),
                )
            )
        out.append(_split_transactions(frame))
        return [n for n in out if n is not None]


def _split_transactions(frame) -> Normalisation | None:
    numbered = frame[frame["transaction_number"] != ""]
    counts = numbered.groupby("transaction_number").size()
    split = counts[counts > 1]
    if split.empty:
        return None
    first = split.index[0]
    rows = numbered.loc[numbered["transaction_number"] == first, "row_number"].tolist()
    verb = "spans" if len(split) == 1 else "span"
    return Normalisation(
        "split_transactions",
        len(split),
        f"{plural(len(split), 'transaction number')} {verb} several lines (e.g. '{first}' on {row_list(rows)}): "
        f"kept as separate lines",
        tuple(rows[:10]),
    )


# --- helpers ------------------------------------------------------------------------------


def _example(cell, value) -> str:
    return f"{values.read_text(cell) if not isinstance(cell, float) else repr(cell)} -> {value}"


def _not_known(cell, what: str) -> str:
    """Why an Excel error where a payment needs a value cannot be read as blank."""
    text = values.read_text(cell)
    shows = (
        "a lookup shows when it finds nothing" if text.lower() in ("#n/a", "#na") else "a formula shows when it fails"
    )
    return f"is the Excel error {text}, which {shows}, so the {what} is not known"


def _bad(rn: int, column: str, cell, problem: str, accepted: str) -> dict:
    return {"row": rn, "column": column, "found": values.read_text(cell), "problem": problem, "accepted": accepted}


def _cells_finding(check: str, what: str, bad: list[dict], accepted: str) -> CheckOutcome:
    columns = sorted({b["column"] for b in bad})
    shown = ", ".join(f"row {b['row']} '{b['found']}' ({b['problem']})" for b in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return failing(
        check,
        f"{plural(len(bad), what)} in column {quote_list(columns)} cannot be read: {shown}{more}. Accepted: "
        f"{accepted}. Correct {'this cell' if len(bad) == 1 else 'these cells'} and publish the file again.",
        bad,
    )
