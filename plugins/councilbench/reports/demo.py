"""The demo's reports step: make sure the marts hold the month just loaded, then run the
reports DAG through Airflow (annual report, the 33 packs, the pack emails to a local
SMTP catcher), then run it again to show that nothing is sent twice."""

from __future__ import annotations

import json
import time

from councilbench import config
from councilbench.warehouse import Warehouse, connect


def marts_are_stale(warehouse: Warehouse) -> bool:
    """True when the marts are missing or older than the newest accepted submission."""
    with connect(warehouse) as conn:
        if conn.execute("select to_regclass('marts.mart_benchmark') is null").fetchone()[0]:
            return True
        built, loaded = conn.execute(
            "select (select max(dbt_updated_at) from marts.mart_benchmark), "
            "(select max(status_changed_at) from ops.submissions where status = 'loaded')").fetchone()
        return built is None or (loaded is not None and loaded > built)


def run_reports_step(warehouse: Warehouse, env: dict[str, str], month: str, seconds: dict | None = None) -> dict:
    """Build the marts if the demo's loads are not in them yet, then the reports DAG
    (twice: the second run must send nothing). Returns what a person needs to find the
    reports and the emails."""
    from councilbench.airflow_env import smtp_connection
    from councilbench.demo import run_dag
    from councilbench.mailcatcher import start_catcher
    from councilbench.reports import pdf, pipeline

    seconds = seconds if seconds is not None else {}
    if marts_are_stale(warehouse):
        import contextlib

        from councilbench.warehouse_build import build_models

        t = time.monotonic()
        # dbt prints every node; keep the demo's output readable and its log beside the DAG logs
        log = config.state_path("logs") / "warehouse_build.log"
        with open(log, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
            build_models(warehouse)
        seconds["warehouse_build"] = round(time.monotonic() - t, 1)
    conf = {"month": month, "pdf": pdf.available()}
    env = dict(env)
    with start_catcher(config.state_path("mail")) as mail:
        env["AIRFLOW_CONN_SMTP_DEFAULT"] = smtp_connection("127.0.0.1", mail.port)
        seconds["reports"] = run_dag(env, "reports", "-c", json.dumps(conf))
        first = len(mail.messages)
        # the rerun only has to show that nothing is sent twice: HTML only, to be quick
        seconds["reports_rerun"] = run_dag(env, "reports", "-c", json.dumps({**conf, "pdf": False}))
        second = len(mail.messages) - first
    with connect(warehouse, role="loader") as conn:
        sends = conn.execute("select status, count(*) from ops.report_sends where report_month = %s group by 1",
                             [month]).fetchall()
    stem = sorted(config.state_path("reports").glob("performance-of-the-region-*.html"))
    folder = pipeline.packs_dir(month)
    return {
        "month": month,
        "annual": [str(p.with_suffix(".pdf") if p.with_suffix(".pdf").exists() else p) for p in stem],
        "annual_html": [str(p) for p in stem],
        "packs_dir": str(folder),
        "packs": len(list(folder.glob("*.html"))),
        "example_pack": str(next(iter(sorted(folder.glob("*.pdf"))), next(iter(sorted(folder.glob("*.html"))), ""))),
        "pdf": conf["pdf"],
        "emails_first_run": first,
        "emails_rerun": second,
        "report_sends": dict(sends),
    }


def print_reports(reports: dict | None) -> None:
    """The lines `make demo` prints about the reports."""
    if not reports:
        return
    print(f"  reports ({reports['month']}):")
    for path in reports["annual"]:
        print(f"    {path}")
    print(f"    {reports['packs']} council packs in {reports['packs_dir']} (e.g. {reports['example_pack']})")
    if not reports["pdf"]:
        print("    PDFs skipped: no Chromium found (apt-get install chromium)")
    print(f"    pack emails: {reports['emails_first_run']} sent, {reports['emails_rerun']} on the rerun "
          f"(ops.report_sends: {reports['report_sends']})")
