"""Named mistakes a real spend file can have, applied to a draft of one council's file.

Each says what should catch it: the spend reader's findings, or the GX suite of issue 15
item 3 (the file reads cleanly, the validator must object). A fault applies to the
council's last period written; a faulted file keeps its name whatever it holds."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from councilbench.core import catalogue
from councilbench.dev.sample_returns import LOGIN_PAGE
from councilbench.dev.sample_spend.layouts import BODY_LAYOUTS, Sheet, render
from councilbench.dev.sample_spend.lines import Line, period_lines, period_months, shift_period, weekdays
from councilbench.dev.sample_spend.profiles import LAYOUT_OF, Profile, profile

#: What a council's system writes where an amount should be.
AMOUNT_WORDS = ("TBC", "see attached", "five hundred", "n/a - credit", "approx 1200")


@dataclass
class Draft:
    """One council's file for one period on its way to bytes; faults change it."""

    p: Profile
    period: str
    seed: int
    scale: float
    lines: list[Line]
    body: str  # the council whose lines these are (another one's, for other_council)
    sheet: Sheet | None = None
    content: bytes | None = None  # bytes that replace the file entirely

    def ensure_sheet(self) -> Sheet:
        if self.sheet is None:
            self.sheet = render(profile(self.body, self.seed), self.period, self.lines, self.seed)
        return self.sheet

    def render(self) -> bytes:
        return self.content if self.content is not None else self.ensure_sheet().to_bytes()


@dataclass(frozen=True)
class Fault:
    """A mistake a real spend file can have.

    outcome: 'rejected' (the file fails a check) or 'warning' (loaded, the council told).
    checks: the checks expected to catch it. caught_by 'reader': read_spend's findings
    (readable, columns, amounts, dates); 'validator': the GX suite of issue 15 item 3
    (period, body, no_duplicates, usual_total, under_500: names for that suite to use),
    the file itself reads cleanly. stage orders them: lines, then sheet, then bytes.
    """

    name: str
    description: str
    outcome: str
    checks: tuple[str, ...]
    caught_by: str
    stage: int
    apply: Callable[[Draft], None]


def _empty(d: Draft) -> None:
    d.content = b""


def _header_only(d: Draft) -> None:
    sheet = d.ensure_sheet()
    sheet.rows, sheet.trailer = [], []
    d.lines = []


def _html_page(d: Draft) -> None:
    d.content = LOGIN_PAGE.encode("utf-8")


def _zip_named_csv(d: Draft) -> None:
    inner = d.ensure_sheet().to_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(f"spend-{d.period}.{d.p.extension}", date_time=(2026, 1, 1, 0, 0, 0))
        zf.writestr(info, inner)
    d.content = buffer.getvalue()


def _drop_column(sheet: Sheet, index: int) -> None:
    for row in [sheet.header, *sheet.rows, *sheet.trailer]:
        if index < len(row):
            del row[index]


def _missing_amount_column(d: Draft) -> None:
    sheet = d.ensure_sheet()
    _drop_column(sheet, sheet.amount_column)


def _amounts_as_text(d: Draft) -> None:
    sheet = d.ensure_sheet()
    for n, i in enumerate(sorted({0, len(sheet.rows) // 2, len(sheet.rows) - 1})):
        sheet.rows[i][sheet.amount_column] = AMOUNT_WORDS[n]


def _month_first_dates(d: Draft) -> None:
    """Dates written month/day/year; the last line moved to a day above 12, to prove it."""
    last = weekdays(d.lines[-1].payment_date.strftime("%Y-%m"))[-1]
    d.lines[-1] = d.lines[-1]._replace(payment_date=last)
    sheet = d.ensure_sheet()
    for row, line in zip(sheet.rows, d.lines, strict=True):
        row[sheet.date_column] = f"{line.payment_date:%m/%d/%Y}"


def _dates_outside_period(d: Draft) -> None:
    after = weekdays(period_months(shift_period(d.period, 1))[0])[0]
    for i in range(1, len(d.lines), max(1, len(d.lines) // 3))[:3]:
        d.lines[i] = d.lines[i]._replace(payment_date=after)


def other_council_for(code: str) -> str:
    """The council whose file is served by mistake: the next one (by code) whose layout
    names the body, so the file says whose it is."""
    codes = sorted(catalogue.councils())
    at = codes.index(code)
    return next(
        c for c in codes[at + 1 :] + codes[:at] if LAYOUT_OF[catalogue.councils()[c].short_name] in BODY_LAYOUTS
    )


def _other_council(d: Draft) -> None:
    d.body = other_council_for(d.p.council.code)
    d.lines = period_lines(d.body, d.period, seed=d.seed, scale=d.scale)


def _repeat_previous_period(d: Draft) -> None:
    before = shift_period(d.period, -1)
    d.lines = period_lines(d.p.council.code, before, seed=d.seed, scale=d.scale)
    d.sheet = render(d.p, before, d.lines, d.seed)
    d.content = d.sheet.to_bytes()  # the same bytes again


def _duplicate_lines(d: Draft) -> None:
    d.lines = d.lines + d.lines[:3]
    d.lines.sort(key=lambda x: (x.payment_date, x.transaction_number))


def _amounts_in_pence(d: Draft) -> None:
    d.lines = [x._replace(net_pence=x.net_pence * 100, vat_pence=x.vat_pence * 100) for x in d.lines]


def _lone_small_lines(d: Draft) -> None:
    """Five payments under £500 with transaction numbers of their own."""
    rng = random.Random(f"spend-lone:{d.seed}:{d.p.council.code}:{d.period}")
    extra = []
    for n in range(5):
        base = rng.choice([x for x in d.lines if not x.redacted and not x.card])
        extra.append(base._replace(transaction_number=f"{base.transaction_number}9{n}", net_pence=rng.randrange(5_000, 49_900), vat_pence=0))  # fmt: skip
    d.lines = sorted(d.lines + extra, key=lambda x: (x.payment_date, x.transaction_number))


def _semicolon_delimiter(d: Draft) -> None:
    sheet = d.ensure_sheet()
    if sheet.file_format == "xlsx":  # a workbook re-saved as CSV in a decimal-comma locale
        sheet.file_format = "csv"
        sheet.rows = [[_text_cell(c) for c in row] for row in sheet.rows]
    sheet.delimiter = ";"


def _text_cell(cell) -> str:
    if isinstance(cell, dt.datetime):
        return f"{cell:%d/%m/%Y}"
    return "" if cell is None else str(cell)


_F = Fault
FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        _F("empty", "a 0-byte file", "rejected", ("readable",), "reader", 2, _empty),
        _F("header_only", "the header and no payment lines", "rejected", ("readable",), "reader", 1, _header_only),
        _F("html_page", "a sign-in web page served with status 200", "rejected", ("readable",), "reader", 2, _html_page),
        _F("zip_named_csv", "the file zipped, under the spend file's own name", "rejected", ("readable",), "reader", 2, _zip_named_csv),
        _F("semicolon_delimiter", "columns separated by ';' (Excel in a decimal-comma locale)", "rejected", ("readable",), "reader", 1, _semicolon_delimiter),
        _F("missing_amount_column", "the net amount column left out", "rejected", ("columns",), "reader", 1, _missing_amount_column),
        _F("amounts_as_text", "three amounts written as words ('TBC', 'see attached', 'five hundred')", "rejected", ("amounts",), "reader", 1, _amounts_as_text),
        _F("month_first_dates", "dates written month first (02/27/2026)", "rejected", ("dates",), "reader", 1, _month_first_dates),
        _F("dates_outside_period", "three lines dated in the next period", "rejected", ("period",), "validator", 0, _dates_outside_period),
        _F("other_council", "another council's file served at this council's address", "rejected", ("body",), "validator", 0, _other_council),
        _F("repeat_previous_period", "the previous period's file published again", "rejected", ("period",), "validator", 0, _repeat_previous_period),
        _F("duplicate_lines", "three lines repeated exactly", "rejected", ("no_duplicates",), "validator", 0, _duplicate_lines),
        _F("amounts_in_pence", "every amount exported in pence: a total 100 times the usual", "warning", ("usual_total",), "validator", 0, _amounts_in_pence),
        _F("lone_small_lines", "five payments under £500 that are no part of a larger transaction", "warning", ("under_500",), "validator", 0, _lone_small_lines),
    )
}  # fmt: skip
