"""A council return's facts in the words its messages use: numbers as people write them,
units, tiers, the period a metric carries in a return month, counts and row lists, and a
check's outcome worded from its failing rows."""

from __future__ import annotations

import math

from councilbench.core import catalogue
from councilbench.core.calendar import month_label
from councilbench.ingest.checks import CheckOutcome
from councilbench.returns.contract import CHECKS, FINANCIAL_YEAR_RE, MONTH_RE, QUARTER_RE, FailingRow, expected_period
from councilbench.returns.report_text import rows_words

TIER_WORDS = {
    "metropolitan_borough": "metropolitan borough",
    "unitary": "unitary",
    "county": "county",
    "district": "district",
}
UNIT_WORDS = {
    "percent": "percent",
    "per_100k": "per 100,000",
    "per_1000": "per 1,000",
    "count": "a count",
    "days": "days",
    "fte_days": "days per full-time equivalent employee",
    "gbp": "pounds",
    "kg": "kilograms",
    "number": None,
}


def fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "(blank)"
    if float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10000 else str(int(x))
    return format(x, ".6g")


def plain(x: float) -> str:
    """A number as it would be typed: no thousands separators."""
    return str(int(x)) if float(x).is_integer() else format(x, ".10g")


def blank_words(text: str) -> str:
    return text if text.strip() else "(blank)"


def metric_label(metric_id: str | None) -> str:
    m = catalogue.metrics().get(metric_id or "")
    return f"{metric_id} ({m.metric_name})" if m else f"{metric_id}"


def council_words(code: str) -> str:
    c = catalogue.councils().get(code)
    return f"{code} ({c.name})" if c else f"{code} (not a West Midlands council code)"


def value_words(metric) -> str:
    """What a value of this metric may be, e.g. 'a number between 0 and 100 (percent)'."""
    if metric is None:
        return "a number"
    unit = UNIT_WORDS.get(metric.unit, metric.unit)
    text = f"a number between {fmt(metric.lower_bound)} and {fmt(metric.upper_bound)}"
    return text + (f" ({unit})" if unit else "")


def period_words(metric, return_month: str) -> str:
    """The period this metric carries in this month's return, in words."""
    if metric is None:
        return "YYYY-MM for a monthly metric, YYYY-Qn for a quarterly one, YYYY-YY for an annual one"
    exp = expected_period(metric.frequency, return_month)
    article = "an" if metric.frequency == "annual" else "a"
    if exp:
        return f"{exp} for {article} {metric.frequency} metric in the {month_label(return_month)} return"
    if metric.frequency == "quarterly":
        return (
            f"no row in the {month_label(return_month)} return: a quarterly metric is returned only in the March, "
            f"June, September and December returns"
        )
    return (
        f"no row in the {month_label(return_month)} return: an annual metric is returned only in the March "
        f"return (for the financial year ending that month)"
    )


def period_end(period: str) -> tuple[int, int] | None:
    """The last month a period covers, as (year, month), or None if it does not parse."""
    if m := MONTH_RE.match(period):
        return int(m.group(1)), int(m.group(2))
    if m := QUARTER_RE.match(period):
        return int(m.group(1)), int(m.group(2)) * 3
    if m := FINANCIAL_YEAR_RE.match(period):
        start = int(m.group(1))
        if (start + 1) % 100 == int(m.group(2)):
            return start + 1, 3
    return None


def count_words(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def rows_phrase(failing: list[FailingRow]) -> str:
    rows = [f.row for f in failing if f.row is not None]
    return f" ({rows_words(rows)})" if rows else ""


def check_outcome(check: str, failing: list[FailingRow], fail_message: str, pass_message: str) -> CheckOutcome:
    """A contract check's outcome from its failing rows: its severity when any fail (with
    the rows named after the message), else pass."""
    severity = CHECKS[check]
    if failing:
        outcome = "warn" if severity == "warn" else "fail"
        return CheckOutcome(check, severity, outcome, fail_message + rows_phrase(failing), failing)
    return CheckOutcome(check, severity, "pass", pass_message)
