"""A council's payment lines for a month, with their truth, and the periods files hold.

A month's lines are a pure function of (seed, council, month): one month alone equals the
same month in a history, and a quarterly council's file is its three months' lines."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from pathlib import Path
from typing import NamedTuple

from councilbench.core import catalogue
from councilbench.core.calendar import month_index, month_label
from councilbench.core.catalogue import Council
from councilbench.dev.sample_spend.expenses import heading
from councilbench.dev.sample_spend.profiles import MERCHANT_CATEGORIES, SEASON, SEED, PaidSupplier, Profile, profile

#: A file never has fewer lines than this, however small the scale.
MIN_LINES = 12

# --- a month's payment lines --------------------------------------------------------------------------


class Line(NamedTuple):
    """One payment line and its truth. supplier_id is None for a redacted beneficiary;
    raw_name is the name written (the redaction's spelling when redacted)."""

    payment_date: dt.date
    transaction_number: str
    supplier_id: str | None
    raw_name: str
    vendor_id: str
    company_number: str | None
    vat_number: str | None
    category: tuple[str, str]  # the truth: (ProClass level 1, level 2) of what was bought
    expense_type: str  # as the council writes it
    net_pence: int
    vat_pence: int
    redacted: bool
    card: bool
    merchant_category: str
    purpose: str
    proclass_code: str  # the truth: the level-2 code of what was bought
    classifiable: bool  # whether the expense type says it (False: a generic type)


def weekdays(month: str) -> list[dt.date]:
    year, mon = int(month[:4]), int(month[5:])
    days = (dt.date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1))
    return [d for d in days if d.weekday() < 5]


def _lognormal(rng: random.Random, sigma: float = 1.2) -> float:
    """Mean one, heavy right tail: most invoices are modest, a few are very large."""
    return math.exp(sigma * rng.gauss(0.0, 1.0) - sigma * sigma / 2)


class _Month:
    """Generates one council's lines for one month from its own random stream."""

    def __init__(self, p: Profile, month: str, seed: int, scale: float) -> None:
        self.p = p
        self.month = month
        self.rng = random.Random(f"spend:{seed}:{p.council.code}:{month}")
        self.days = weekdays(month)
        self.mean_pounds = p.annual_spend / (12 * p.lines_per_month)
        self.next_tx = (month_index(month) - 2000 * 12) * 100_000
        self.label = month_label(month)
        wanted = p.lines_per_month * SEASON[int(month[5:])] * (0.95 + 0.1 * self.rng.random()) * scale
        self.wanted = max(MIN_LINES, round(wanted))

    def lines(self) -> list[Line]:
        out: list[Line] = []
        rng, p = self.rng, self.p
        while len(out) < self.wanted:
            self.next_tx += 1
            draw = rng.random()
            if draw < p.redacted_share:
                out.append(self.redacted())
            elif draw < p.redacted_share + p.card_share and p.card_suppliers:
                out.append(self.card())
            elif draw < p.redacted_share + p.card_share + 0.012:
                out.append(self.payment(credit=True))
            elif rng.random() < 0.06:
                out.extend(self.split())
            else:
                out.append(self.payment())
        out.sort(key=lambda line: (line.payment_date, line.transaction_number))
        return out

    def tx(self) -> str:
        return str(self.next_tx)

    def supplier(self) -> PaidSupplier:
        return self.rng.choices(self.p.suppliers, cum_weights=self.p.cum_weights)[0]

    def expense(self, code: str) -> tuple[str, bool]:
        """The type written for a code, and whether it says the code (a generic one does not)."""
        p = self.p
        if p.generic_names and self.rng.random() < p.generic_share:
            return self.rng.choice(p.generic_names), False
        return self.rng.choice(p.expense_names[code]), True

    def line(self, s: PaidSupplier, pence: int, date: dt.date, card=False, merchant="") -> Line:
        rng = self.rng
        code = rng.choice(s.codes)
        category = heading(code)
        expense, classifiable = self.expense(code)
        purpose = rng.choice((category[1], f"{category[1]} {self.label}", f"Invoice {rng.randrange(10_000, 99_999)}"))
        return Line(date, self.tx(), s.supplier_id, s.raw_name, s.vendor_id, s.company_number, s.vat_number,
                    category, expense, pence, round(pence * s.vat_rate), False, card, merchant, purpose,
                    code, classifiable)  # fmt: skip

    def pounds(self, s: PaidSupplier) -> int:
        amount = self.mean_pounds * s.size * _lognormal(self.rng)
        if amount < 500:  # the file is payments over £500: a small invoice is lifted over it
            amount += 500
        return round(amount * 100)

    def payment(self, credit: bool = False) -> Line:
        s = self.supplier()
        pence = self.pounds(s)
        if credit:  # a credit note: a part of an earlier invoice back
            pence = -max(5_000, round(pence * self.rng.uniform(0.05, 0.6)))
        return self.line(s, pence, self.rng.choice(self.days))

    def split(self) -> list[Line]:
        """One invoice over several lines (expense codes or cost centres): parts may be under £500."""
        s, rng = self.supplier(), self.rng
        total, date = max(self.pounds(s), 80_000), rng.choice(self.days)
        shares = [rng.uniform(0.1, 1.0) for _ in range(rng.choice((2, 2, 3, 4)))]
        parts = [round(total * x / sum(shares)) for x in shares]
        parts[-1] = total - sum(parts[:-1])
        first = self.line(s, parts[0], date)
        return [first] + [self.line(s, part, date)._replace(transaction_number=first.transaction_number)
                          for part in parts[1:]]  # fmt: skip

    def card(self) -> Line:
        rng = self.rng
        s = rng.choice(self.p.card_suppliers)
        pence = round(math.exp(rng.uniform(math.log(15), math.log(2_500))) * 100)
        merchant = rng.choice(MERCHANT_CATEGORIES[s.sector])
        return self.line(s, pence, rng.choice(self.days), card=True, merchant=merchant)._replace(vat_pence=0)

    def redacted(self) -> Line:
        rng, p = self.rng, self.p
        pence = round(max(500, self.mean_pounds * 0.15 * _lognormal(rng, 0.8)) * 100)
        code = p.redacted_code  # payments to people are written plainly: never a generic type
        category = heading(code)
        return Line(rng.choice(self.days), self.tx(), None, rng.choice(p.redactions), f"{900_000 + rng.randrange(99_999)}",
                    None, None, category, rng.choice(p.expense_names[code]), pence, 0, True, False, "", category[1],
                    code, True)  # fmt: skip


def month_lines(code_or_name: str, month: str, *, seed: int = SEED, scale: float = 1.0) -> list[Line]:
    """One council's payment lines for one month, in date order."""
    council = catalogue.find_council(code_or_name)
    month_index(month)
    return _Month(profile(council.code, seed), month, seed, scale).lines()


# --- periods ------------------------------------------------------------------------------------------


def period_of(p: Profile, month: str) -> str:
    """The period whose file holds `month`: the month, or its calendar quarter."""
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}" if p.quarterly else month


def period_months(period: str) -> list[str]:
    if "-Q" not in period:
        return [period]
    year, quarter = period.split("-Q")
    first = (int(quarter) - 1) * 3 + 1
    return [f"{year}-{m:02d}" for m in range(first, first + 3)]


def shift_period(period: str, n: int) -> str:
    """The period n periods on: '2026-01', -1 -> '2025-12'; '2026-Q1', -1 -> '2025-Q4'."""
    months = period_months(period)
    year, mon = divmod(month_index(months[0]) + n * len(months), 12)
    return f"{year:04d}-Q{mon // 3 + 1}" if len(months) == 3 else f"{year:04d}-{mon + 1:02d}"


def period_label(period: str) -> str:
    months = period_months(period)
    return (
        month_label(months[0])
        if len(months) == 1
        else f"{month_label(months[0]).split()[0]} to {month_label(months[-1])}"
    )


def spend_path(out_dir: Path | str, council: Council, period: str, seed: int = SEED) -> Path:
    """<out_dir>/<short_name>/spend-<period>.<csv|xlsx>: what a spend_source template serves."""
    return Path(out_dir) / council.short_name / f"spend-{period}.{profile(council.code, seed).extension}"


def period_lines(code: str, period: str, *, seed: int = SEED, scale: float = 1.0) -> list[Line]:
    return [line for month in period_months(period) for line in month_lines(code, month, seed=seed, scale=scale)]
