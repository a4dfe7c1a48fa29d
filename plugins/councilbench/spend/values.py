"""One cell of a spend file -> a typed value, and the habit it was written in.

Each reader returns the value and a short habit name (`pound`, `brackets`, `serial`, ...)
so the file reader can count what it normalised and say so in plain words; a cell that
cannot be read unambiguously returns an error instead (what was wrong, in words), never
raises. The readers are cached on the cell text: a year of one council's payments
repeats the same dates and amounts many times.

Decisions (why, not what):
- Amounts are Decimals in pounds to the penny: a float read from Excel (7956.420000000001)
  is a spreadsheet rounding error, never a fraction of a penny someone meant.
- '1,234.56' is read only when the commas group thousands; '12,5' may be a decimal comma
  (twelve and a half) or a typo, so it is an error, not a guess.
- Dates are read day first (UK files); whether a whole file is month first is decided
  over all its dates (lines.py), because one cell like 02/03/2026 cannot say.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

PENNY = Decimal("0.01")
#: Excel's day 0 for the 1900 date system (it counts the non-existent 29/02/1900).
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serials from 1 January 2000 to the end of 2099: anything else is not a payment date.
SERIAL_RANGE = (36526, 73415)
#: Excel shows these for a failed formula; '#N/A' most often, from a lookup that missed.
EXCEL_ERRORS = frozenset(
    {"#n/a", "#na", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#spill!", "#calc!"}
)

_POUND = re.compile(r"(?:\\xa3|[ÂÃ‚]*£|GBP)", re.IGNORECASE)
_PLAIN = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_MONTH_NAME = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[-/ ]([A-Za-z]{3,9})\.?[-/ ,]+(\d{4}|\d{2})$")
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}

ACCEPTED_AMOUNTS = (
    "a figure such as 1234.56, 1,234.56 or £1,234.56, with a minus sign or brackets, (1,234.56), for a credit"
)
ACCEPTED_DATES = "a date such as 01/02/2026 (day first), 2026-02-01, 01-Feb-26 or an Excel date"


@dataclass(frozen=True)
class Amount:
    value: Decimal | None  # pounds to the penny; None when blank or '#N/A'
    habits: frozenset = frozenset()  # pound, commas, brackets, float, sub_pence, negative, excel_error
    error: str | None = None


@dataclass(frozen=True)
class PaymentDate:
    value: dt.date | None
    habit: str | None = None  # excel_date, serial, iso, iso_time, numeric, month_name, excel_error
    #: For numeric dates (01/02/2026): the first two numbers as written, for the file's order.
    parts: tuple[int, int] | None = None
    error: str | None = None


def is_excel_error(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in EXCEL_ERRORS


def read_amount(value: object) -> Amount:
    """A cell of an amount column -> pounds to the penny."""
    if value is None or isinstance(value, bool):
        return Amount(None) if value is None else Amount(None, error="is TRUE/FALSE, not an amount")
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and value != value:  # NaN
            return Amount(None)
        return _to_pence(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), frozenset())
    if isinstance(value, (dt.date, dt.datetime)):
        return Amount(None, error="is a date, not an amount")
    return _read_amount_text(str(value))


@lru_cache(maxsize=65536)
def _read_amount_text(text: str) -> Amount:
    text = text.strip()
    if not text:
        return Amount(None)
    if text.lower() in ("#n/a", "#na"):  # a lookup that found nothing: blank, not a figure gone wrong
        return Amount(None, frozenset({"excel_error"}))
    if text.lower() in EXCEL_ERRORS:
        return Amount(None, error=f"is the Excel error {text} (a formula that failed), not an amount")
    habits: set[str] = set()
    negative = False
    body = text
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
        habits.add("brackets")
    without_pound = _POUND.sub("", body).strip()
    if without_pound != body:
        habits.add("pound")
        body = without_pound
    if body.startswith("-") and not negative:
        negative, body = True, body[1:].strip()  # '-£250' and '£-250' alike: the '£' is gone
    if _THOUSANDS.match(body):
        habits.add("commas")
        body = body.replace(",", "")
    if not _PLAIN.match(body):
        return Amount(None, error=_amount_words(body))
    number = Decimal(body)
    return _to_pence(-number if negative else number, frozenset(habits))


def _amount_words(body: str) -> str:
    if re.fullmatch(r"\d+,\d{1,2}", body):
        return "has a comma where a decimal point is expected (a decimal comma or a typo)"
    if re.fullmatch(r"[\d.]+[eE][+-]?\d+", body):
        return "is in scientific notation (Excel shows large numbers so when the column is too narrow)"
    if re.search(r"\d", body):
        return "mixes a number with other characters"
    return "is words, not a number"


def _to_pence(number: Decimal, habits: frozenset) -> Amount:
    try:
        pence = number.quantize(PENNY, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return Amount(None, error="is not a finite number")
    extra = set()
    if pence != number:
        # A binary float's tail (…0000001) is an artefact; a third real digit is rounded.
        extra.add("float" if abs(pence - number) < Decimal("0.000001") else "sub_pence")
    if pence < 0:
        extra.add("negative")
    return Amount(pence, habits | extra)


def read_payment_date(value: object) -> PaymentDate:
    """A cell of the payment date column -> a date, day first for numeric dates."""
    if value is None:
        return PaymentDate(None)
    if isinstance(value, dt.datetime):
        return PaymentDate(value.date(), "excel_date")
    if isinstance(value, dt.date):
        return PaymentDate(value, "excel_date")
    if isinstance(value, bool):
        return PaymentDate(None, error="is TRUE/FALSE, not a date")
    if isinstance(value, (int, float)):
        return _serial(float(value))
    return _read_date_text(str(value))


def _serial(number: float) -> PaymentDate:
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1] or number != int(number):
        return PaymentDate(None, error="is a number that is not an Excel date between 2000 and 2099")
    return PaymentDate(EXCEL_EPOCH + dt.timedelta(days=int(number)), "serial")


@lru_cache(maxsize=65536)
def _read_date_text(text: str) -> PaymentDate:
    text = text.strip()
    if not text:
        return PaymentDate(None)
    if text.lower() in EXCEL_ERRORS:
        if text.lower() in ("#n/a", "#na"):
            return PaymentDate(None, "excel_error")
        return PaymentDate(None, error=f"is the Excel error {text} (a formula that failed), not a date")
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(float(text))
    m = _ISO.match(text)
    if m:
        has_time = m.group(4) is not None
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), "iso_time" if has_time else "iso")
    m = _NUMERIC.match(text)
    if m:
        first, second, year = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        read = _date(year, second, first, "numeric")
        return PaymentDate(read.value, read.habit, (first, second), read.error)
    m = _MONTH_NAME.match(text)
    if m:
        month = _MONTHS.get(m.group(2).lower())
        if month is None:
            return PaymentDate(None, error=f"names a month '{m.group(2)}' that is not a month")
        return _date(_year(m.group(3)), month, int(m.group(1)), "month_name")
    return PaymentDate(None, error="is not written as a date")


def _year(text: str) -> int:
    year = int(text)
    return year + (2000 if year < 70 else 1900) if len(text) == 2 else year


def _date(year: int, month: int, day: int, habit: str) -> PaymentDate:
    try:
        return PaymentDate(dt.date(year, month, day), habit)
    except ValueError:
        return PaymentDate(None, habit, error="is not a real day of the calendar, read day first")


# --- text, redaction, card flags -------------------------------------------------------


def read_text(value: object) -> str:
    """A text cell as a person reads it: Excel's 12345.0 is '12345', a date is ISO."""
    if isinstance(value, str):  # every CSV cell: first
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_REDACTED = re.compile(
    r"redact|personal (data|info|details)|data protection|\bdpa\b|\bdp act\b|gdpr|withheld|"
    r"not disclosed|name removed|^(private )?individuals?$|^confidential$|^sensitive$|^personal$"
)


@lru_cache(maxsize=65536)
def is_redacted(name: str) -> bool:
    """'REDACTED PERSONAL DATA', 'Redacted under DP Act', 'Personal Information', ...: a
    beneficiary withheld (a person's name), never a supplier to match."""
    key = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return bool(key) and bool(_REDACTED.search(key))


_YES = {"y", "yes", "true", "1", "card", "purchase card", "procurement card", "p card", "gpc"}
_NO = {"n", "no", "false", "0"}


def read_card_flag(value: object, from_payment_method: bool = False) -> bool | None:
    """A card-transaction cell -> True/False, None when blank or unclear. Read from a
    payment method column ('BACS', 'Purchase Card'), any method naming a card is a card."""
    text = read_text(value).lower().replace("-", " ").strip()
    if not text or is_excel_error(text):
        return None
    if from_payment_method:
        return "card" in text
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def company_number(text: str) -> tuple[str, bool]:
    """(company number, whether leading zeros Excel dropped were put back): Companies House
    numbers are 8 characters, and 1234567 is 01234567 read as a number."""
    text = text.strip().upper().replace(" ", "")
    if text.isdigit() and 5 <= len(text) < 8:
        return text.zfill(8), True
    return text, False
