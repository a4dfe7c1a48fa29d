"""Reports people read, rendered from the marts whenever the warehouse_build DAG
announces them (asset councilbench://warehouse/marts):

- the annual *Performance of the Region* for the latest complete financial year with
  data, and the current year to date (HTML with inline SVG charts, and PDF through
  headless Chromium): <state>/reports/performance-of-the-region-<year>[-year-to-date].html/.pdf;
- each council's monthly *How <council> compares* pack for the newest reporting month
  with an accepted return: <state>/reports/packs/<month>/<short_name>.html/.pdf;
- the pack emailed to that council's contacts (reference.council_contacts) only, once
  per council and month (the outbox, ops.outbox; a rerun sends nothing), through
  SmtpHook on smtp_default;
- the *Pooled spend* report of each partnership group with spend loaded, for the newest
  financial year with spend (or `financial_year`):
  <state>/reports/pooled-spend/<year>/<group_id>.html/.pdf (not emailed).

Render again or for another month with
`airflow dags test reports -c '{"month": "2026-10"}'`; `{"send": false}` renders without
emailing, `{"councils": ["E08000027"]}` limits the packs, `{"financial_year": "2025-26"}`
picks the annual report's year. A report that logs a console error, fetches anything off
the machine or has a chart without its title and description fails the task. Chromium
must be installed (Debian: `apt-get install chromium`). Logic lives in
councilbench.reports.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import MARTS, REPORTS
from councilbench.orchestration.dag_defaults import TAG, default_args


@dag(
    dag_id="reports",
    schedule=[MARTS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[TAG, "reports"],
    doc_md=__doc__,
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Reporting month YYYY-MM for the packs; empty: the newest with an accepted return.",
        ),
        "financial_year": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Financial year of the annual report; empty: the latest complete one "
            "and the current year to date.",
        ),
        "councils": Param([], type="array", description="GSS codes whose packs to render and send; empty: all 33."),
        "send": Param(True, type="boolean", description="Email each pack to its council's contacts (once)."),
        "pdf": Param(True, type="boolean", description="Print PDFs with headless Chromium as well as HTML."),
    },
)
def reports():
    @task
    def plan() -> dict:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.reports.pipeline import plan as make_plan

        params = get_current_context()["params"]
        return make_plan(
            warehouse_from_airflow(),
            params.get("month"),
            params.get("financial_year"),
            list(params.get("councils") or []),
        )

    @task
    def annual_reports(plan: dict) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.reports.pipeline import render_annual

        params = get_current_context()["params"]
        return render_annual(
            warehouse_from_airflow(), plan["financial_years"], month=plan["month"], pdf=bool(params.get("pdf", True))
        )

    @task
    def council_packs(plan: dict) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.reports.pipeline import render_packs

        params = get_current_context()["params"]
        return render_packs(
            warehouse_from_airflow(), plan["month"], plan["councils"], pdf=bool(params.get("pdf", True))
        )

    @task
    def pooled_spend_reports() -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.reports.pipeline import render_pooled_spend

        params = get_current_context()["params"]
        year = params.get("financial_year")
        return render_pooled_spend(
            warehouse_from_airflow(), [year] if year else None, pdf=bool(params.get("pdf", True))
        )

    @task
    def email_packs(rendered: list[dict]) -> list[dict]:
        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.reports.pipeline import send_packs

        if not get_current_context()["params"].get("send", True):
            return []
        return send_packs(warehouse_from_airflow(), list(rendered))

    @task(outlets=[REPORTS])
    def summarise(plan: dict, annual: list[dict], pooled: list[dict], rendered: list[dict], sent: list[dict]) -> dict:
        statuses: dict[str, int] = {}
        for s in sent:
            statuses[s["status"]] = statuses.get(s["status"], 0) + 1
        return {
            "month": plan["month"],
            "annual": [a["pdf"] or a["html"] for a in annual],
            "pooled_spend": [p["pdf"] or p["html"] for p in pooled],
            "packs": len(rendered),
            "emails": statuses,
        }

    planned = plan()
    annual = annual_reports(planned)
    rendered = council_packs(planned)
    summarise(planned, annual, pooled_spend_reports(), rendered, email_packs(rendered))


reports()
