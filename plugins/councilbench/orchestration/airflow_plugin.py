"""Airflow plugin (loaded through the `airflow.plugins` entry point in pyproject.toml):
registers the project's timetables so the scheduler can deserialise DAGs that use it."""

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from councilbench.orchestration.timetables import (
    ReportingMonthTimetable,
    ReturnRemindersTimetable,
)


class CouncilbenchPlugin(AirflowPlugin):
    name = "councilbench"
    timetables: ClassVar[list[type]] = [ReportingMonthTimetable, ReturnRemindersTimetable]
