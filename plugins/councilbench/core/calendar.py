"""When a reporting month's return is due, and the month arithmetic around it.

By default a month's return is due at 06:00 UTC on the 15th of the following month;
COUNCILBENCH_RETURNS_DUE_DAY (1..31; a day past the month's end means its last day) and
COUNCILBENCH_RETURNS_DUE_TIME (HH:MM, UTC) move it. The council_returns and
return_reminders timetables, the emails and the template all read it from here, so they
never disagree. Plain datetimes (no Airflow import): the `validate` command uses it too.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass
from datetime import datetime, timezone


def month_start(dt: datetime) -> datetime:
    return datetime(dt.year, dt.month, 1, tzinfo=timezone.utc)


def add_months(dt: datetime, months: int) -> datetime:
    index = dt.year * 12 + (dt.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


def month_of(text: str) -> datetime:
    """The start of a 'YYYY-MM' reporting month."""
    year, month = map(int, text.split("-"))
    return datetime(year, month, 1, tzinfo=timezone.utc)


def month_text(dt: datetime) -> str:
    """'YYYY-MM' of a datetime (a data interval start, say)."""
    return f"{dt.year:04d}-{dt.month:02d}"


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
    def from_env(cls) -> "ReturnsCalendar":
        hour, _, minute = os.environ.get("COUNCILBENCH_RETURNS_DUE_TIME", "06:00").partition(":")
        return cls(int(os.environ.get("COUNCILBENCH_RETURNS_DUE_DAY", "15")), int(hour), int(minute or 0))

    def due(self, month: datetime | str) -> datetime:
        """The due date of the reporting month (its start, or 'YYYY-MM')."""
        start = month_of(month) if isinstance(month, str) else month_start(month)
        following = add_months(start, 1)
        day = min(self.due_day, calendar.monthrange(following.year, following.month)[1])
        return following.replace(day=day, hour=self.due_hour, minute=self.due_minute)

    def latest_due_month(self, now: datetime) -> datetime:
        """The start of the latest reporting month whose due date is at or before `now`."""
        start = add_months(month_start(now), -1)
        while self.due(start) > now:
            start = add_months(start, -1)
        return start

    def as_dict(self) -> dict:
        return {"due_day": self.due_day, "due_hour": self.due_hour, "due_minute": self.due_minute}


def return_due(return_month: str) -> datetime:
    """When this month's return is due, by the configured calendar."""
    return ReturnsCalendar.from_env().due(return_month)
