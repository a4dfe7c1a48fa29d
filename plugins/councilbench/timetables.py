"""The reporting-month timetable: a run's data interval is one calendar month, and the
run starts on the month's due date (by default 06:00 on the 15th of the next month).

So `{{ data_interval_start }}` is the reporting month, a backfill of 2016-01..2026-10
creates one run per reporting month, and moving the due date is configuration.
Registered with Airflow through the `airflow.plugins` entry point (airflow_plugin.py)
so the scheduler can deserialise it.
"""

from __future__ import annotations

from datetime import timedelta

from pendulum import DateTime, timezone

from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

UTC = timezone("UTC")


def month_start(dt: DateTime) -> DateTime:
    return DateTime(dt.year, dt.month, 1, tzinfo=UTC)


def add_months(dt: DateTime, months: int) -> DateTime:
    index = dt.year * 12 + (dt.month - 1) + months
    return DateTime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


class ReportingMonthTimetable(Timetable):
    """One run per reporting month, after the due date in the following month."""

    def __init__(self, due_day: int = 15, due_hour: int = 6) -> None:
        if not 1 <= due_day <= 28:
            raise ValueError("due_day must be 1..28 so every month has it")
        self.due_day = due_day
        self.due_hour = due_hour
        self.description = f"Each reporting month, due on day {due_day} of the next month at {due_hour:02d}:00 UTC"

    @property
    def summary(self) -> str:
        return f"monthly, due day {self.due_day}"

    def serialize(self) -> dict:
        return {"due_day": self.due_day, "due_hour": self.due_hour}

    @classmethod
    def deserialize(cls, data: dict) -> "ReportingMonthTimetable":
        return cls(**data)

    def due_date(self, interval_end: DateTime) -> DateTime:
        return interval_end + timedelta(days=self.due_day - 1, hours=self.due_hour)

    def _info(self, start: DateTime) -> DagRunInfo:
        end = add_months(start, 1)
        return DagRunInfo(run_after=self.due_date(end), data_interval=DataInterval(start=start, end=end))

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """A manual run covers the latest month whose due date has passed."""
        start = add_months(month_start(run_after), -1)
        if run_after < self.due_date(add_months(start, 1)):
            start = add_months(start, -1)
        return DataInterval(start=start, end=add_months(start, 1))

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            start = add_months(month_start(last_automated_data_interval.start), 1)
        elif restriction.earliest is None:
            return None
        else:
            earliest = restriction.earliest
            start = month_start(earliest) if earliest == month_start(earliest) else add_months(month_start(earliest), 1)
            if not restriction.catchup:
                # Without catchup, start from the latest month already due.
                latest_due = self.infer_manual_data_interval(run_after=DateTime.now(UTC)).start
                start = max(start, latest_due)
        info = self._info(start)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return info


def reporting_month(data_interval_start) -> str:
    """'YYYY-MM' of a data interval start (pendulum or datetime)."""
    return f"{data_interval_start.year:04d}-{data_interval_start.month:02d}"
