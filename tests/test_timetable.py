"""The reporting-month timetable: data interval = the month, run on its due date."""

from __future__ import annotations

from pendulum import datetime

from airflow.timetables.base import DataInterval, TimeRestriction

from councilbench.timetables import ReportingMonthTimetable, reporting_month


def test_scheduled_runs_cover_whole_months_and_start_on_the_due_date():
    tt = ReportingMonthTimetable(due_day=15, due_hour=6)
    first = tt.next_dagrun_info(last_automated_data_interval=None,
                                restriction=TimeRestriction(datetime(2016, 1, 1), None, True))
    assert first.data_interval == DataInterval(datetime(2016, 1, 1), datetime(2016, 2, 1))
    assert first.run_after == datetime(2016, 2, 15, 6)
    december = tt.next_dagrun_info(last_automated_data_interval=DataInterval(datetime(2025, 11, 1), datetime(2025, 12, 1)),
                                   restriction=TimeRestriction(datetime(2016, 1, 1), None, True))
    assert december.data_interval == DataInterval(datetime(2025, 12, 1), datetime(2026, 1, 1))
    assert december.run_after == datetime(2026, 1, 15, 6)
    assert reporting_month(december.data_interval.start) == "2025-12"


def test_due_date_is_configurable_and_serialises():
    tt = ReportingMonthTimetable(due_day=20, due_hour=9)
    again = ReportingMonthTimetable.deserialize(tt.serialize())
    info = again.next_dagrun_info(last_automated_data_interval=DataInterval(datetime(2026, 9, 1), datetime(2026, 10, 1)),
                                  restriction=TimeRestriction(datetime(2016, 1, 1), None, True))
    assert info.run_after == datetime(2026, 11, 20, 9)


def test_manual_run_takes_the_latest_month_already_due():
    tt = ReportingMonthTimetable(due_day=15)
    assert tt.infer_manual_data_interval(run_after=datetime(2026, 11, 21)).start == datetime(2026, 10, 1)
    # Before 15 November, October is not due yet: a manual run covers September.
    assert tt.infer_manual_data_interval(run_after=datetime(2026, 11, 10)).start == datetime(2026, 9, 1)


def test_no_run_after_the_end_date():
    tt = ReportingMonthTimetable()
    info = tt.next_dagrun_info(last_automated_data_interval=DataInterval(datetime(2026, 9, 1), datetime(2026, 10, 1)),
                               restriction=TimeRestriction(datetime(2016, 1, 1), datetime(2026, 9, 30), True))
    assert info is None
