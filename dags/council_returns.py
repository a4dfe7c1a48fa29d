"""Monthly council returns: pull each member council's return, land it, validate it
with Great Expectations, email the council what to fix when it fails, and load it when
it passes, with a receipt to the council of what was loaded (once per file).

Pulling and landing is mapped over councils (one task each, no GX import); the month's
new files are then validated together in one task with ONE GX run (GX costs about the
same for 1 or 33 returns, and importing it costs 2-3 s per task process), and each
council's results are recorded and its rows loaded or quarantined on their own, so one
council's file never holds up or alters another's.

The data interval is the reporting month; the run starts on the due date (the 15th of
the following month by default: COUNCILBENCH_RETURNS_DUE_DAY and _DUE_TIME). The outlet
asset (which schedules the dbt build) is announced only when the run recorded a new
file, so a rerun that finds nothing new rebuilds nothing. Rerun a month with
`airflow dags test council_returns -c '{"period": "2026-10"}'`, backfill with
`airflow backfill create --dag-id council_returns --from-date 2016-01-01 --to-date 2026-10-01`.
A council with no file yet is recorded as not received; the others go on. Logic lives
in councilbench.returns.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import COUNCIL_RETURNS
from councilbench.orchestration.dag_defaults import TAG, default_args
from councilbench.orchestration.timetables import ReportingMonthTimetable


@dag(
    dag_id="council_returns",
    schedule=ReportingMonthTimetable.from_env(),
    start_date=pendulum.datetime(2016, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    default_args=default_args(),
    tags=[TAG, "returns"],
    doc_md=__doc__,
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Reporting month YYYY-MM; empty means the run's data interval.",
        ),
        "councils": Param([], type="array", description="GSS codes to process; empty means all 33."),
    },
)
def council_returns():
    @task
    def plan_month() -> list[dict]:
        """The month and its councils, as one land_return call each. One task, not two:
        every hop before the 33 mapped tasks costs a scheduler loop."""
        from councilbench.core import catalogue
        from councilbench.orchestration.timetables import reporting_month

        ctx = get_current_context()
        wanted = ctx["params"].get("councils") or []
        codes = list(catalogue.councils())
        unknown = sorted(set(wanted) - set(codes))
        if unknown:
            raise ValueError(f"not member councils: {', '.join(unknown)}")
        month = ctx["params"].get("period") or reporting_month(ctx["data_interval_start"])
        return [{"council_code": c, "return_month": month} for c in codes if not wanted or c in wanted]

    @task(map_index_template="{{ task.op_kwargs['council_code'] }}")
    def land_return(council_code: str, return_month: str) -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.returns.pipeline import land_return as land

        return land(warehouse_from_airflow(), council_code, return_month).as_dict()

    @task
    def validate_and_load(landed: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.returns.pipeline import validate_landed

        return validate_landed(warehouse_from_airflow(), list(landed))

    @task
    def send_emails(outcomes: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.returns.pipeline import send_emails as send

        return send(warehouse_from_airflow(), list(outcomes))

    @task
    def summarise(outcomes: list[dict], emails: list[dict]) -> dict:
        from councilbench.returns.pipeline import summarise as summary

        return summary(list(outcomes), emails)

    @task(outlets=[COUNCIL_RETURNS])
    def announce_new_files(outcomes: list[dict]) -> int:
        # After the loads, not the emails: an SMTP outage never holds up the marts.
        from airflow.sdk.exceptions import AirflowSkipException

        recorded = sum(1 for o in outcomes if o["recorded_now"])
        if not recorded:
            raise AirflowSkipException("no file was validated this run: nothing for the warehouse to build")
        return recorded

    landed = land_return.expand_kwargs(plan_month())
    outcomes = validate_and_load(landed)
    summarise(outcomes, send_emails(outcomes))
    announce_new_files(outcomes)


council_returns()
