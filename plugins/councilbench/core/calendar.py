"""The one calendar: reporting months, financial years and when a month's return is due.

Months are 'YYYY-MM' text everywhere a person or a table sees them; the datetime helpers
serve the timetables, whose data intervals are datetimes. Financial years run April to
March and are written '2025-26'.

By default a month's return is due at 06:00 UTC on the 15th of the following month;
COUNCILBENCH_RETURNS_DUE_DAY (1..31; a day past the month's end means its last day) and
COUNCILBENCH_RETURNS_DUE_TIME (HH:MM, UTC) move it (read in settings). The council_returns
and return_reminders timetables, the emails, the template and dbt (var returns_due_day)
all take it from here, so they never disagree. Plain datetimes, no Airflow import: the
`validate` command uses it too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from councilbench.core import settings

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTH_NAMES = tuple(calendar.month_name[1:])


# --- months as text ---------------------------------------------------------------------


def month_index(month: str) -> int:
    """'YYYY-MM' -> a count of months (year * 12 + month - 1), for arithmetic."""
    m = MONTH_RE.match(month or "")
    if not m:
        raise ValueError(f"a month must be YYYY-MM, got {month!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    """'2026-10' + 3 -> '2027-01'."""
    return month_from_index(month_index(month) + n)


def months_between(first: str, last: str) -> list[str]:
    """The months from first to last, both included."""
    a, b = month_index(first), month_index(last)
    if b < a:
        raise ValueError(f"month range {first}..{last} ends before it starts")
    return [month_from_index(i) for i in range(a, b + 1)]


def month_label(month: str) -> str:
    """'2026-10' -> 'October 2026'."""
    return f"{MONTH_NAMES[month_index(month) % 12]} {month[:4]}"


def financial_year_of(month: str) -> str:
    """'2026-04' -> '2026-27'; '2026-03' -> '2025-26'."""
    y, m = divmod(month_index(month), 12)
    start = y if m >= 3 else y - 1
    return f"{start}-{(start + 1) % 100:02d}"


def financial_year_months(fy: str) -> tuple[str, str]:
    """'2025-26' -> ('2025-04', '2026-03')."""
    start = int(fy[:4])
    return f"{start}-04", f"{start + 1}-03"


def financial_year_label(fy: str) -> str:
    """'2025-26' -> 'April 2025 to March 2026'."""
    start = int(fy[:4])
    return f"April {start} to March {start + 1}"


def day_label(dt: datetime) -> str:
    """'15 November 2026'."""
    return f"{dt.day} {MONTH_NAMES[dt.month - 1]} {dt.year}"


# --- months as datetimes (the timetables' data intervals) ---------------------------------


def month_start(dt: datetime) -> datetime:
    return datetime(dt.year, dt.month, 1, tzinfo=UTC)


def shift_months(dt: datetime, months: int) -> datetime:
    """The start of the month `months` after the one `dt` is in."""
    index = dt.year * 12 + (dt.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def month_of(text: str) -> datetime:
    """The start of a 'YYYY-MM' reporting month."""
    return datetime.fromisoformat(f"{month_from_index(month_index(text))}-01").replace(tzinfo=UTC)


def month_text(dt: datetime) -> str:
    """'YYYY-MM' of a datetime (a data interval start, say)."""
    return f"{dt.year:04d}-{dt.month:02d}"


# --- due dates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnsCalendar:
    """Day `due_day` of the month after the reporting month, at due_hour:due_minute UTC."""

    due_day: int = 15
    due_hour: int = 6
    due_minute: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.due_day <= 31:
            raise ValueError(f"due day must be 1..31 (got {self.due_day})")
        if not (0 <= self.due_hour <= 23 and 0 <= self.due_minute <= 59):
            raise ValueError(f"due time must be a time of day (got {self.due_hour}:{self.due_minute:02d})")

    @classmethod
    def configured(cls) -> ReturnsCalendar:
        """The calendar the settings give (COUNCILBENCH_RETURNS_DUE_DAY / _DUE_TIME)."""
        hour, minute = settings.returns_due_time()
        return cls(settings.returns_due_day(), hour, minute)

    def due(self, month: datetime | str) -> datetime:
        """The due date of the reporting month (its start, or 'YYYY-MM')."""
        start = month_of(month) if isinstance(month, str) else month_start(month)
        following = shift_months(start, 1)
        day = min(self.due_day, calendar.monthrange(following.year, following.month)[1])
        return following.replace(day=day, hour=self.due_hour, minute=self.due_minute)

    def latest_due_month(self, now: datetime) -> datetime:
        """The start of the latest reporting month whose due date is at or before `now`."""
        start = shift_months(month_start(now), -1)
        while self.due(start) > now:
            start = shift_months(start, -1)
        return start

    def as_dict(self) -> dict:
        return {"due_day": self.due_day, "due_hour": self.due_hour, "due_minute": self.due_minute}


def return_due(return_month: str) -> datetime:
    """When this month's return is due, by the configured calendar."""
    return ReturnsCalendar.configured().due(return_month)
