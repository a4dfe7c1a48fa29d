"""How numbers, periods and directions read in the reports: one place, so the annual
report, the packs, the emails and the tests all print a figure the same way.

Values are the marts' normalised values (mart_benchmark.normalised_value,
mart_region_performance.region_value ...), in the metric's normalised unit
(dim_metric.normalised_unit); the catalogue unit (dim_metric.unit) adds the pound sign
for amounts.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from councilbench.core import settings

# Month and financial-year labels are the calendar's; reports call them through here.
from councilbench.core.calendar import (  # noqa: F401 (re-exported)
    MONTH_NAMES,
    financial_year_label,
    financial_year_months,
    financial_year_of,
    month_label,
)

SERVICE_AREAS = {
    "waste": "Waste and recycling",
    "roads": "Roads and highways",
    "planning": "Planning",
    "housing": "Housing and homelessness",
    "adult_social_care": "Adult social care",
    "childrens_services": "Children's services",
    "finance": "Finance and revenues",
    "workforce": "Workforce",
    "economy": "Economy and town centres",
}
#: The order service areas appear in every report.
SERVICE_AREA_ORDER = tuple(SERVICE_AREAS)


_UNIT_SUFFIX = {
    "percent": "%",
    "per_100k": " per 100,000",
    "per_1000": " per 1,000",
    "days": " days",
    "weeks": " weeks",
    "fte_days": " days per FTE",
    "kg": " kg",
    "hectares": " hectares",
}


def service_area_label(area: str) -> str:
    return SERVICE_AREAS.get(area, area.replace("_", " ").capitalize())


def service_area_rank(area: str) -> int:
    return SERVICE_AREA_ORDER.index(area) if area in SERVICE_AREA_ORDER else len(SERVICE_AREA_ORDER)


def to_float(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    f = float(value)
    return None if math.isnan(f) else f


def decimals_for(value: float, unit: str) -> int:
    """Enough digits to tell councils apart, no more: 1 for percentages, 0 for large
    counts and amounts, 2 for small rates (0.73 per 1,000 residents)."""
    a = abs(value)
    if unit == "percent":
        return 1
    if a >= 1000:
        return 0
    if a >= 100:
        return 1 if unit not in ("count", "gbp") else 0
    if unit in ("count",) and float(value).is_integer():
        return 0
    return 2 if a < 10 else 1


def number(value, digits: int) -> str:
    """'1,234.5'; never '-0.0'."""
    v = to_float(value)
    if v is None:
        return "no value"
    if round(v, digits) == 0:
        v = 0.0
    return f"{v:,.{digits}f}"


def value(value, normalised_unit: str, unit: str | None = None, *, digits: int | None = None) -> str:
    """'44.7%', '94.4 per 100,000', '£59,851 per 1,000 residents', '225', 'no value'."""
    v = to_float(value)
    if v is None:
        return "no value"
    d = decimals_for(v, normalised_unit) if digits is None else digits
    pounds = unit == "gbp" or normalised_unit == "gbp"
    text = number(v, d)
    if pounds:
        text = ("-£" + text[1:]) if text.startswith("-") else "£" + text
    if normalised_unit in _UNIT_SUFFIX:
        return text + _UNIT_SUFFIX[normalised_unit]
    if normalised_unit.startswith("per "):
        return f"{text} {normalised_unit}"
    return text


def short_value(value, normalised_unit: str, unit: str | None = None) -> str:
    """The figure without the long unit words (for chart labels): '44.7%', '£59,851', '0.73'."""
    v = to_float(value)
    if v is None:
        return "–"
    text = number(v, decimals_for(v, normalised_unit))
    if unit == "gbp" or normalised_unit == "gbp":
        text = ("-£" + text[1:]) if text.startswith("-") else "£" + text
    return text + ("%" if normalised_unit == "percent" else "")


def unit_label(normalised_unit: str, unit: str | None = None) -> str:
    """What the axis measures: 'per cent', 'per 1,000 residents', 'days', '£ per 1,000 residents'."""
    base = {
        "percent": "per cent",
        "per_100k": "per 100,000",
        "per_1000": "per 1,000",
        "fte_days": "days per FTE",
        "count": "number",
        "number": "number",
        "gbp": "£",
        "kg": "kg",
        "index": "index (UK = 100)",
        "score": "score",
        "rank": "rank (1 = most deprived)",
    }.get(normalised_unit, normalised_unit.replace("_", " "))
    if unit == "gbp" and normalised_unit != "gbp":
        return f"£ {base}"
    return base


def axis_title(normalised_unit: str, unit: str | None = None) -> str | None:
    """The unit a value axis names above its ticks ('days per FTE', '£ per 1,000
    residents'), or None when the ticks carry it (%, £) or there is none (a count)."""
    if normalised_unit in ("percent", "gbp", "count", "number"):
        return None
    return unit_label(normalised_unit, unit)


def change(delta, normalised_unit: str, unit: str | None = None) -> str:
    """'+1.2 points', '-0.35 per 1,000 residents' (a percentage's change is in points)."""
    v = to_float(delta)
    if v is None:
        return "–"
    sign = "+" if v > 0 else ("−" if v < 0 else "±")
    if normalised_unit == "percent":
        return f"{sign}{number(abs(v), 1)} points"
    return sign + value(abs(v), normalised_unit, unit)


def noun(n: int, word: str, words: str | None = None) -> str:
    """The word for n of them: 'period' for 1, 'periods' otherwise; `words` for an irregular plural."""
    return word if n == 1 else (words or word + "s")


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 period', '3 periods', '0 councils'."""
    return f"{n} {noun(n, word, words)}"


#: A note that opens with a label of its own ('Not applicable: ...'): never labelled twice.
_OWN_LABEL = re.compile(r"[A-Z][\w' -]{0,40}:\s")


def labelled(label: str, text: str) -> str:
    """'Not available: <text>', unless the text already opens with a label of its own (a
    council's note 'Not applicable: no housing stock' or 'Not available this month: ...')."""
    text = text.strip()
    if _OWN_LABEL.match(text) or text.lower().startswith(label.lower()):
        return text
    return f"{label}: {text}"


def ordinal(n: int | None) -> str:
    if n is None:
        return "–"
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank, size) -> str:
    """'3rd of 14'."""
    if rank is None or size is None:
        return "not ranked"
    return f"{ordinal(rank)} of {int(size)}"


QUARTILE_LABELS = {1: "Top quartile", 2: "Second quartile", 3: "Third quartile", 4: "Bottom quartile"}


def quartile_text(q) -> str:
    return QUARTILE_LABELS.get(int(q), "–") if q is not None else "not ranked"


#: mart_benchmark.not_ranked_reason: a group with fewer councils than the setting
#: COUNCILBENCH_MIN_GROUP_SIZE (the dbt var min_group_size) publishes no rank or quartile.
GROUP_TOO_SMALL = "group_too_small"


def not_ranked_text(reason, group_size) -> str | None:
    """Why a row of mart_benchmark has no rank, in words, from its not_ranked_reason and
    group_size: 'not ranked: only 1 council in this group delivers it (at least 4
    needed)'. None when the mart gives no reason (a ranked row, or a context metric,
    which is never ranked whatever its group)."""
    if not isinstance(reason, str) or reason != GROUP_TOO_SMALL:  # None, NaN or pd.NA: no reason
        return None
    n = int(group_size)
    return (
        f"not ranked: only {plural(n, 'council')} in this group {'delivers' if n == 1 else 'deliver'} it "
        f"(at least {settings.min_group_size()} needed)"
    )


#: Direction words with a symbol each, so a direction never depends on colour alone.
DIRECTIONS = {
    "improving": ("▲", "Improving"),
    "worsening": ("▼", "Worsening"),
    "no change": ("■", "No change"),
    "not comparable": ("–", "Not comparable"),
    None: ("–", "Not comparable"),
}


def direction_symbol(direction: str | None) -> str:
    return DIRECTIONS.get(direction, DIRECTIONS[None])[0]


def direction_text(direction: str | None) -> str:
    return DIRECTIONS.get(direction, DIRECTIONS[None])[1]


COMPARISONS = {"better": "Better", "worse": "Worse", "same": "Same", None: "–"}


def comparison_text(c: str | None) -> str:
    return COMPARISONS.get(c, c.capitalize() if c else "–")


def polarity_text(polarity: str) -> str:
    return {
        "higher_is_better": "Higher is better",
        "lower_is_better": "Lower is better",
        "context": "Context: neither higher nor lower is better",
    }.get(polarity, polarity)


def short_period(period: str) -> str:
    """Axis label: '2026-04' -> 'Apr 26', '2026-Q1' -> 'Q1 26', a financial year stays
    '2025-26' (its second part is 13 or more from 2012-13 on, so never a month)."""
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        return f"{MONTH_NAMES[int(period[5:]) - 1][:3]} {period[2:4]}"
    if re.fullmatch(r"\d{4}-Q[1-4]", period):
        return f"{period[5:]} {period[2:4]}"
    return period


def display_name(council_name: str) -> str:
    """'Dudley Metropolitan Borough Council' -> 'Dudley' (the returns emails' rule)."""
    from councilbench.returns.email_render import council_display_name

    return council_display_name(council_name)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
