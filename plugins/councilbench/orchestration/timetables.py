"""The returns calendar and the two timetables built on it.

- ReturnsCalendar (core/calendar.py): a reporting month's due date (by default 06:00 UTC on
  the 15th of the following month; COUNCILBENCH_RETURNS_DUE_DAY / _DUE_TIME move it).
- ReportingMonthTimetable (council_returns): a run's data interval is one calendar month
  and the run starts on the month's due date, so `{{ data_interval_start }}` is the
  reporting month and a backfill of 2016-01..2026-10 makes one run per month.
- ReturnRemindersTimetable (return_reminders): two runs per reporting month, a reminder
  some days before its due date (COUNCILBENCH_REMINDER_DAYS_BEFORE, default 5) and a
  chaser the day after it.

Both are registered with Airflow through the `airflow.plugins` entry point
(airflow_plugin.py) so the scheduler can deserialise them.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from pendulum import DateTime

from councilbench.core import calendar, settings
from councilbench.core.calendar import ReturnsCalendar

UTC = pendulum.timezone("UTC")
REMINDER, CHASER = "reminder", "chaser"


def _dt(value) -> DateTime:
    return pendulum.instance(value).in_timezone(UTC)


def month_start(dt) -> DateTime:
    return _dt(calendar.month_start(dt))


def add_months(dt, months: int) -> DateTime:
    return _dt(calendar.shift_months(dt, months))


def reporting_month(data_interval_start) -> str:
    """'YYYY-MM' of a data interval start (pendulum or datetime)."""
    return calendar.month_text(data_interval_start)


class ReportingMonthTimetable(Timetable):
    """One run per reporting month, after the due date in the following month."""

    def __init__(self, due_day: int = 15, due_hour: int = 6, due_minute: int = 0) -> None:
        self.calendar = ReturnsCalendar(due_day, due_hour, due_minute)
        self.description = (
            f"Each reporting month, due on day {due_day} of the next month at {due_hour:02d}:{due_minute:02d} UTC"
        )

    @classmethod
    def from_env(cls) -> ReportingMonthTimetable:
        return cls(**ReturnsCalendar.configured().as_dict())

    @property
    def summary(self) -> str:
        return f"monthly, due day {self.calendar.due_day}"

    def serialize(self) -> dict:
        return self.calendar.as_dict()

    @classmethod
    def deserialize(cls, data: dict) -> ReportingMonthTimetable:
        return cls(**data)

    def _info(self, start: DateTime) -> DagRunInfo:
        end = add_months(start, 1)
        return DagRunInfo(run_after=_dt(self.calendar.due(start)), data_interval=DataInterval(start=start, end=end))

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """A manual run covers the latest month whose due date has passed."""
        start = _dt(self.calendar.latest_due_month(run_after))
        return DataInterval(start=start, end=add_months(start, 1))

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            start = add_months(month_start(last_automated_data_interval.start), 1)
        elif restriction.earliest is None:
            return None
        else:
            earliest = restriction.earliest
            start = month_start(earliest) if earliest == month_start(earliest) else add_months(month_start(earliest), 1)
            if not restriction.catchup:
                # Without catchup, start from the latest month already due.
                start = max(start, _dt(self.calendar.latest_due_month(DateTime.now(UTC))))
        if restriction.latest is not None and start > restriction.latest:
            return None
        return self._info(start)


class ReturnRemindersTimetable(Timetable):
    """Two runs per reporting month: `days_before` days before its due date (reminder)
    and one day after it (chaser). Each run is a point in time (an empty interval at the
    moment it fires); `event()` tells which month and kind a run is for."""

    def __init__(self, due_day: int = 15, due_hour: int = 6, due_minute: int = 0, days_before: int = 5) -> None:
        if not 1 <= days_before <= 20:
            raise ValueError(f"days before the due date must be 1..20 (got {days_before})")
        self.calendar = ReturnsCalendar(due_day, due_hour, due_minute)
        self.days_before = days_before
        self.description = (
            f"Reminder {days_before} days before each month's return is due "
            f"(day {due_day} of the next month), chaser the day after"
        )

    @classmethod
    def from_env(cls) -> ReturnRemindersTimetable:
        days = settings.reminder_days_before()
        return cls(**ReturnsCalendar.configured().as_dict(), days_before=days)

    @property
    def summary(self) -> str:
        return f"{self.days_before} days before and 1 day after each due date"

    def serialize(self) -> dict:
        return {**self.calendar.as_dict(), "days_before": self.days_before}

    @classmethod
    def deserialize(cls, data: dict) -> ReturnRemindersTimetable:
        return cls(**data)

    def moment(self, month: DateTime | str, kind: str) -> DateTime:
        due = _dt(self.calendar.due(month))
        return due - timedelta(days=self.days_before) if kind == REMINDER else due + timedelta(days=1)

    def _events_around(self, dt: DateTime) -> list[tuple[DateTime, DateTime, str]]:
        """(moment, month start, kind) for the reporting months whose events fall near dt."""
        base = month_start(dt)
        events = [
            (self.moment(add_months(base, k), kind), add_months(base, k), kind)
            for k in range(-3, 2)
            for kind in (REMINDER, CHASER)
        ]
        return sorted(events)

    def event(self, at: DateTime) -> tuple[str, str] | None:
        """(reporting month, kind) of the run firing exactly at `at`, else None."""
        for when, start, kind in self._events_around(at):
            if when == at:
                return reporting_month(start), kind
        return None

    def latest_event(self, at: DateTime) -> tuple[str, str]:
        """(reporting month, kind) of the latest event at or before `at` (for manual runs)."""
        _when, start, kind = [e for e in self._events_around(at) if e[0] <= at][-1]
        return reporting_month(start), kind

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval.exact(run_after)

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            after = last_automated_data_interval.end
            nxt = next(e for e in self._events_around(after) if e[0] > after)[0]
        elif restriction.earliest is None:
            return None
        else:
            nxt = next(e for e in self._events_around(restriction.earliest) if e[0] >= restriction.earliest)[0]
            if not restriction.catchup:
                # Without catchup, start from the latest event already past.
                now = DateTime.now(UTC)
                nxt = max(nxt, [e for e in self._events_around(now) if e[0] <= now][-1][0])
        if restriction.latest is not None and nxt > restriction.latest:
            return None
        return DagRunInfo.exact(nxt)
