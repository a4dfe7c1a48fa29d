"""Late-return reminders: before each month's return is due, email every council that
has not sent it yet; the day after, chase the councils still missing or rejected and
send the platform team one summary of the month.

Its own timetable (councilbench.orchestration.timetables.ReturnRemindersTimetable), on the same
calendar as council_returns: a reminder COUNCILBENCH_REMINDER_DAYS_BEFORE days (default
5) before the due date (COUNCILBENCH_RETURNS_DUE_DAY / _DUE_TIME) and a chaser one day
after it. Each email goes once (the outbox, ops.outbox), only to that council's contacts.
Send one by hand with `{"period": "2026-10", "kind": "chaser"}`; empty params mean the
run's own moment (a manual run: the latest reminder or chaser already due). Logic lives
in councilbench.returns.reminders.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.dag_defaults import TAG, default_args
from councilbench.orchestration.timetables import ReturnRemindersTimetable


@dag(
    dag_id="return_reminders",
    schedule=ReturnRemindersTimetable.from_env(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[TAG, "returns", "email"],
    doc_md=__doc__,
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Reporting month YYYY-MM; empty: the month of the run's reminder or chaser.",
        ),
        "kind": Param(
            None,
            type=["null", "string"],
            enum=[None, "reminder", "chaser"],
            description="reminder (before the due date) or chaser (after it); empty: the run's own.",
        ),
    },
)
def return_reminders():
    @task
    def plan() -> dict:
        from councilbench.core.calendar import return_due

        ctx = get_current_context()
        timetable = ReturnRemindersTimetable.from_env()
        moment = ctx["dag_run"].run_after
        month, kind = timetable.event(moment) or timetable.latest_event(moment)
        month = ctx["params"].get("period") or month
        kind = ctx["params"].get("kind") or kind
        return {"month": month, "kind": kind, "due": return_due(month).isoformat()}

    @task
    def email_councils(plan: dict) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.returns.reminders import send_reminders

        return send_reminders(warehouse_from_airflow(), plan["month"], plan["kind"])

    @task
    def email_platform_team(plan: dict, chased: list[dict]) -> dict | None:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.returns.reminders import send_month_summary

        if plan["kind"] != "chaser":
            return None
        return send_month_summary(warehouse_from_airflow(), plan["month"], list(chased))

    planned = plan()
    email_platform_team(planned, email_councils(planned))


return_reminders()
