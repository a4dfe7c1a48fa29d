"""Council pay deposits (pay benchmarking): pull each council's deposit for a pay year,
land it, validate it with Great Expectations, load it or quarantine it, and email the
council: what to fix when it fails (a file holding personal data is rejected whole and
loads nothing), a short receipt when it loads (once per file).

Runs once a year at the start of May (06:00 UTC on 1 May) for the NJC pay year that began
in April, and by hand when a council says it has deposited: trigger with
`{"pay_year": "2025-26", "councils": ["dudley"]}` (no pay_year: the pay year of the run's
date; no councils: all 33). Pulling and landing is mapped over the councils (one task
each, no GX import); the new deposits are then validated together in one task with ONE
GX run (expectations/council_pay.json), and each council's deposit is recorded and
loaded into raw.council_pay_posts or quarantined on its own, so one council's file never
holds up or alters another's.

The outlet asset councilbench://warehouse/raw/council_pay_posts (which schedules the
warehouse build) is announced only when the run validated a new deposit, so a rerun
that finds nothing new rebuilds nothing. Logic lives in councilbench.pay.pipeline.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import COUNCIL_PAY
from councilbench.orchestration.dag_defaults import TAG, default_args


@dag(
    dag_id="council_pay",
    schedule="0 6 1 5 *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[TAG, "pay"],
    doc_md=__doc__,
    params={
        "pay_year": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="NJC pay year YYYY-YY (April to March), e.g. 2025-26; empty means the pay year of the run's date.",
        ),
        "councils": Param(
            [], type="array", description="GSS codes or short names of the councils that deposited; empty means all 33."
        ),
    },
)
def council_pay():
    @task
    def plan_year() -> list[dict]:
        """The deposits to look for, as one land_pay call each."""
        from councilbench.pay.kind import pay_year_of
        from councilbench.pay.pipeline import plan

        ctx = get_current_context()
        when = ctx.get("logical_date") or ctx.get("data_interval_end") or pendulum.now("UTC")
        return plan(ctx["params"].get("pay_year") or pay_year_of(when), ctx["params"].get("councils") or None)

    @task(map_index_template="{{ task.op_kwargs['council_code'] }} {{ task.op_kwargs['pay_year'] }}")
    def land_pay(council_code: str, pay_year: str) -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.pay.pipeline import land_file

        return land_file(warehouse_from_airflow(), council_code, pay_year)

    @task
    def validate_and_load(landed: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.pay.pipeline import validate_landed

        return validate_landed(warehouse_from_airflow(), list(landed))

    @task
    def send_emails(outcomes: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.pay.pipeline import send_emails as send

        return send(warehouse_from_airflow(), list(outcomes))

    @task
    def summarise(outcomes: list[dict], emails: list[dict]) -> dict:
        from councilbench.ingest.kind import Outcome
        from councilbench.pay.pipeline import summarise as summary

        return {**summary([Outcome(**d) for d in outcomes]), "emails": len(emails)}

    @task(outlets=[COUNCIL_PAY])
    def announce_new_files(outcomes: list[dict]) -> dict:
        """After the loads, not the emails: an SMTP outage never holds up the warehouse."""
        from airflow.sdk.exceptions import AirflowSkipException

        recorded = sum(1 for o in outcomes if o["recorded_now"])
        if not recorded:
            raise AirflowSkipException("no pay deposit was validated this run: nothing for the warehouse to build")
        return {"files": recorded}

    outcomes = validate_and_load(land_pay.expand_kwargs(plan_year()))
    summarise(outcomes, send_emails(outcomes))
    announce_new_files(outcomes)


council_pay()
