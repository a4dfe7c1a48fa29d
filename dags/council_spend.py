"""Monthly council spend ("spend over £500"): pull each council's file due this month,
land it, validate it with Great Expectations, load it or quarantine it, and email the
council: what to fix when it fails, a short receipt when it loads (once per file).

A monthly publisher is due every month; a quarterly one once a quarter, in the month
that ends it (councilbench.spend.kind.spend_periods). Pulling and landing is mapped over
the due files (one task each, no GX import); the new files are then validated together
in one task with ONE GX run, and each council's file is recorded and loaded or
quarantined on its own, so one council's file never holds up or alters another's.

The data interval is the reporting month, on the same timetable as council_returns. The
outlet asset is announced only when the run recorded a new file, so a rerun that finds
nothing new rebuilds nothing. Rerun a month with
`airflow dags test council_spend -c '{"period": "2026-03"}'` (a quarter: "2026-Q1").
Logic lives in councilbench.spend.pipeline.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import COUNCIL_SPEND
from councilbench.orchestration.dag_defaults import TAG, default_args
from councilbench.orchestration.timetables import ReportingMonthTimetable


@dag(
    dag_id="council_spend",
    schedule=ReportingMonthTimetable.from_env(),
    start_date=pendulum.datetime(2016, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    default_args=default_args(),
    tags=[TAG, "spend"],
    doc_md=__doc__,
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$",
            description="Month YYYY-MM or quarter YYYY-Qn; empty means the run's data interval.",
        ),
        "councils": Param([], type="array", description="GSS codes or names to process; empty means all 33."),
    },
)
def council_spend():
    @task
    def plan_period() -> list[dict]:
        """The files due for the period, as one land_spend call each."""
        from councilbench.orchestration.timetables import reporting_month
        from councilbench.spend.pipeline import plan

        ctx = get_current_context()
        period = ctx["params"].get("period") or reporting_month(ctx["data_interval_start"])
        return plan(period, ctx["params"].get("councils") or None)

    @task(map_index_template="{{ task.op_kwargs['council_code'] }} {{ task.op_kwargs['period'] }}")
    def land_spend(council_code: str, period: str) -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.spend.pipeline import land_file

        return land_file(warehouse_from_airflow(), council_code, period)

    @task
    def validate_and_load(landed: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.spend.pipeline import validate_landed

        return validate_landed(warehouse_from_airflow(), list(landed))

    @task
    def send_emails(outcomes: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.spend.pipeline import send_emails as send

        return send(warehouse_from_airflow(), list(outcomes))

    @task
    def summarise(outcomes: list[dict], emails: list[dict]) -> dict:
        from councilbench.ingest.kind import Outcome
        from councilbench.spend.pipeline import summarise as summary

        return {**summary([Outcome(**d) for d in outcomes]), "emails": len(emails)}

    @task(outlets=[COUNCIL_SPEND])
    def announce_new_files(outcomes: list[dict]) -> dict:
        """Resolve suppliers and categorise expenses over every loaded line (the marts join
        on what this writes), then announce. After the loads, not the emails: an SMTP
        outage never holds up the marts."""
        from dataclasses import asdict

        from airflow.sdk.exceptions import AirflowSkipException

        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.spend import resolve

        recorded = sum(1 for o in outcomes if o["recorded_now"])
        if not recorded:
            raise AirflowSkipException("no spend file was validated this run: nothing for the warehouse to build")
        return {"files": recorded, "resolved": asdict(resolve.run(warehouse_from_airflow()))}

    outcomes = validate_and_load(land_spend.expand_kwargs(plan_period()))
    summarise(outcomes, send_emails(outcomes))
    announce_new_files(outcomes)


council_spend()
