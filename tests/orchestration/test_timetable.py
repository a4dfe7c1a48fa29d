"""The reporting-month timetable: data interval = the month, run on its due date."""

from __future__ import annotations

from airflow.timetables.base import DataInterval, TimeRestriction
from pendulum import datetime

from councilbench.orchestration.timetables import (
    ReportingMonthTimetable,
    reporting_month,
)


def test_scheduled_runs_cover_whole_months_and_start_on_the_due_date():
    tt = ReportingMonthTimetable(due_day=15, due_hour=6)
    first = tt.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(datetime(2016, 1, 1), None, True)
    )
    assert first.data_interval == DataInterval(datetime(2016, 1, 1), datetime(2016, 2, 1))
    assert first.run_after == datetime(2016, 2, 15, 6)
    december = tt.next_dagrun_info(
        last_automated_data_interval=DataInterval(datetime(2025, 11, 1), datetime(2025, 12, 1)),
        restriction=TimeRestriction(datetime(2016, 1, 1), None, True),
    )
    assert december.data_interval == DataInterval(datetime(2025, 12, 1), datetime(2026, 1, 1))
    assert december.run_after == datetime(2026, 1, 15, 6)
    assert reporting_month(december.data_interval.start) == "2025-12"


def test_due_date_is_configurable_and_serialises():
    tt = ReportingMonthTimetable(due_day=20, due_hour=9)
    again = ReportingMonthTimetable.deserialize(tt.serialize())
    info = again.next_dagrun_info(
        last_automated_data_interval=DataInterval(datetime(2026, 9, 1), datetime(2026, 10, 1)),
        restriction=TimeRestriction(datetime(2016, 1, 1), None, True),
    )
    assert info.run_after == datetime(2026, 11, 20, 9)


def test_manual_run_takes_the_latest_month_already_due():
    tt = ReportingMonthTimetable(due_day=15)
    assert tt.infer_manual_data_interval(run_after=datetime(2026, 11, 21)).start == datetime(2026, 10, 1)
    # Before 15 November, October is not due yet: a manual run covers September.
    assert tt.infer_manual_data_interval(run_after=datetime(2026, 11, 10)).start == datetime(2026, 9, 1)


def test_no_run_after_the_end_date():
    tt = ReportingMonthTimetable()
    info = tt.next_dagrun_info(
        last_automated_data_interval=DataInterval(datetime(2026, 9, 1), datetime(2026, 10, 1)),
        restriction=TimeRestriction(datetime(2016, 1, 1), datetime(2026, 9, 30), True),
    )
    assert info is None


# --- the calendar and the reminders' timetable ---------------------------------------------


def test_due_day_past_a_months_end_is_its_last_day_and_the_time_is_configurable(monkeypatch):
    from councilbench.core.calendar import ReturnsCalendar, return_due

    cal = ReturnsCalendar(31, 17, 30)
    assert cal.due("2026-01") == datetime(2026, 2, 28, 17, 30)  # February has no 31st
    assert cal.due("2026-02") == datetime(2026, 3, 31, 17, 30)
    assert cal.latest_due_month(datetime(2026, 3, 31, 17, 29)) == datetime(2026, 1, 1)
    assert cal.latest_due_month(datetime(2026, 3, 31, 17, 30)) == datetime(2026, 2, 1)
    monkeypatch.setenv("COUNCILBENCH_RETURNS_DUE_DAY", "20")
    monkeypatch.setenv("COUNCILBENCH_RETURNS_DUE_TIME", "09:15")
    assert return_due("2026-10") == datetime(2026, 11, 20, 9, 15)
    assert ReportingMonthTimetable.from_env().serialize() == {"due_day": 20, "due_hour": 9, "due_minute": 15}


def test_reminders_come_days_before_the_due_date_and_the_chaser_the_day_after():
    from councilbench.orchestration.timetables import ReturnRemindersTimetable

    tt = ReturnRemindersTimetable(due_day=15, due_hour=6, days_before=5)
    restriction = TimeRestriction(datetime(2026, 9, 1), None, True)
    info = tt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    seen = []
    for _ in range(4):
        seen.append((info.run_after, tt.event(info.run_after)))
        assert info.data_interval.start == info.data_interval.end == info.run_after  # a moment, not a span
        info = tt.next_dagrun_info(last_automated_data_interval=info.data_interval, restriction=restriction)
    assert seen == [
        (datetime(2026, 9, 10, 6), ("2026-08", "reminder")),
        (datetime(2026, 9, 16, 6), ("2026-08", "chaser")),
        (datetime(2026, 10, 10, 6), ("2026-09", "reminder")),
        (datetime(2026, 10, 16, 6), ("2026-09", "chaser")),
    ]
    again = ReturnRemindersTimetable.deserialize(tt.serialize())
    assert again.moment("2026-10", "reminder") == datetime(2026, 11, 10, 6)
    # A manual run acts for the latest reminder or chaser already due.
    assert tt.latest_event(datetime(2026, 11, 12)) == ("2026-10", "reminder")
    assert tt.latest_event(datetime(2026, 11, 16, 7)) == ("2026-10", "chaser")
    assert tt.event(datetime(2026, 11, 12)) is None
