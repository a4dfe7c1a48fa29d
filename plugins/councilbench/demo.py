"""`make demo`: the monthly cycle end to end on the resolved warehouse, through Airflow.

1. `db up` and the reference_data DAG (registry, contacts, metric catalogue);
2. sample returns for all 33 councils (a year of history and the demo month, with
   faults in three councils' files), served one URL per council from 127.0.0.1, and a
   local SMTP catcher that writes every email to the state folder;
3. the history through the in-process backfill path (same code as the DAG);
4. the public_sources DAG (NOMIS and DEFRA files in their published formats);
5. the council_returns DAG for the demo month: 30 load, 3 are quarantined and only
   their contacts get an email; then a rerun that changes nothing and sends nothing;
   then a corrected file from one of the three, which loads;
6. the warehouse_build DAG (dbt build of the benchmarking marts, dbt docs);
7. the reports DAG: the annual Performance of the Region and each council's monthly
   How We Compare pack (HTML and PDF), the packs emailed once.
Rerunning the demo is safe: every step is idempotent.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

from councilbench import bootstrap, catalogue, config
from councilbench.airflow_env import airflow, airflow_environ, migrate, smtp_connection
from councilbench.reports.demo import print_reports, run_reports_step
from councilbench.warehouse import Warehouse, connect

#: The three councils whose demo returns are broken, and how.
DEMO_FAULTS = {
    "E08000027": ["numerator_above_denominator", "text_in_numeric"],  # Dudley: two row-level faults
    "E07000199": ["html_error_page"],                                  # Tamworth: a login page, not a return
    "E10000031": ["missing_required"],                                 # Warwickshire: a required metric missing
}
CORRECTED = "E08000027"
HISTORY_MONTHS = int(os.environ.get("COUNCILBENCH_DEMO_HISTORY_MONTHS", "12"))


def demo_month(today: date | None = None) -> str:
    """The latest reporting month already due (COUNCILBENCH_DEMO_MONTH overrides)."""
    if os.environ.get("COUNCILBENCH_DEMO_MONTH"):
        return os.environ["COUNCILBENCH_DEMO_MONTH"]
    from pendulum import datetime

    from councilbench.timetables import ReportingMonthTimetable, reporting_month

    today = today or date.today()
    interval = ReportingMonthTimetable().infer_manual_data_interval(run_after=datetime(today.year, today.month, today.day))
    return reporting_month(interval.start)


def run_dag(env: dict[str, str], dag_id: str, *extra: str) -> float:
    """`airflow dags test` one DAG in-process (no scheduler needed); seconds taken."""
    started = time.monotonic()
    proc = airflow(env, "dags", "test", dag_id, *extra, check=False, capture=True)
    log = config.state_path("logs") / f"{dag_id}.log"
    log.write_text(proc.stdout)
    if proc.returncode != 0 or "state=failed" in proc.stdout.replace(" ", ""):
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise RuntimeError(f"DAG {dag_id} failed (full log: {log}):\n{tail}")
    return round(time.monotonic() - started, 1)


def month_state(warehouse: Warehouse, month: str, returns_dir: Path) -> dict:
    """The month as the ledger sees it: the status of the file each council serves now
    (found by its hash, so a rerun of the demo on an old state reads the same), and the sends."""
    import hashlib

    from councilbench.returns import sample

    served = {}
    for council in catalogue.councils().values():
        path = sample.return_path(returns_dir, council, month)
        if path.exists():
            served[council.code] = hashlib.sha256(path.read_bytes()).hexdigest()
    with connect(warehouse, role="loader") as conn:
        latest = conn.execute(
            """select subject, status, submission_id from ops.submissions
               where source_kind = 'council_return' and period = %s and (subject, sha256) in
                     (select * from unnest(%s::text[], %s::text[]))""",
            [month, list(served), list(served.values())]).fetchall()
        sends = conn.execute(
            """select s.subject, n.kind, n.status, array_to_string(n.recipients, ', '), n.subject_line
               from ops.notifications n join ops.submissions s using (submission_id)
               where s.period = %s order by 1""", [month]).fetchall()
        rows = conn.execute("""select count(*) from raw.council_return_rows r join ops.submissions s using (submission_id)
                               where s.period = %s and s.status = 'loaded'""", [month]).fetchone()[0]
    return {"latest": {c: s for c, s, _ in latest}, "sends": sends, "rows": rows}


def date_history_as_sent(warehouse: Warehouse, months: list[str]) -> int:
    """Demo only: the history is loaded in seconds on the day the demo runs, which would
    make every historical return 'late' in mart_submission_quality and the annual report.
    Date each history file as if its council had sent it during the following month: most
    by the due date (the 15th), about one in five a few days after (fixed per council and
    month, so a rerun gives the same dates). Returns the submissions re-dated."""
    with connect(warehouse, role="loader") as conn:
        count = conn.execute(
            """update ops.submissions
               set fetched_at = (period || '-01')::date + interval '1 month'
                                + (4 + abs(hashtext(subject || period)) %% 14) * interval '1 day'
                                + interval '9 hours'
               where source_kind = 'council_return' and period = any(%s)""", [months]).rowcount
        conn.commit()
    return count


def _quarantine_files(month: str) -> list[str]:
    root = config.state_path("quarantine")
    return sorted(str(p) for p in root.glob(f"*/{month}/*"))


def run_demo(warehouse: Warehouse) -> dict:
    from councilbench.demo_http import serve_folder
    from councilbench.mailcatcher import start_catcher
    from councilbench.public.demo import serve_demo_sources
    from councilbench.returns import sample
    from councilbench.returns.pipeline import backfill, months_between

    started = time.monotonic()
    seconds: dict[str, float] = {}
    month = demo_month()
    first_history = sample.add_months(month, -HISTORY_MONTHS)
    history = months_between(first_history, sample.add_months(month, -1))
    returns_dir = config.state_path("demo", "returns")

    bootstrap.up(warehouse)
    env = airflow_environ(warehouse)
    migrate(env)
    seconds["reference_data"] = run_dag(env, "reference_data")

    t = time.monotonic()
    sample.write_returns(returns_dir, [*history, month], faults=DEMO_FAULTS)
    seconds["sample_returns"] = round(time.monotonic() - t, 1)

    with serve_folder(returns_dir) as http, start_catcher(config.state_path("mail")) as mail, \
            serve_demo_sources(config.state_path("demo", "public-sources")) as public_env:
        env.update(public_env)
        env["COUNCILBENCH_RETURNS_BASE_URL"] = http.url
        env["AIRFLOW_CONN_SMTP_DEFAULT"] = smtp_connection("127.0.0.1", mail.port)
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = env["AIRFLOW_CONN_SMTP_DEFAULT"]

        t = time.monotonic()
        # History was due long ago: batch-validate it and load it without emailing anyone.
        backfill(warehouse, history, returns_base_url=http.url, notify=False)
        date_history_as_sent(warehouse, history)
        seconds[f"history_backfill_{len(history)}_months"] = round(time.monotonic() - t, 1)

        seconds["public_sources"] = run_dag(env, "public_sources")

        conf = ("-c", json.dumps({"period": month}))
        seconds["council_returns"] = run_dag(env, "council_returns", *conf)
        after_first = month_state(warehouse, month, returns_dir)
        mails_after_first = len(mail.messages)

        seconds["council_returns_rerun"] = run_dag(env, "council_returns", *conf)
        after_rerun = month_state(warehouse, month, returns_dir)

        fixed = sample.return_path(returns_dir, catalogue.councils()[CORRECTED], month)
        fixed.write_bytes(sample.faulted_bytes(CORRECTED, month))
        seconds["council_returns_resubmission"] = run_dag(
            env, "council_returns", "-c", json.dumps({"period": month, "councils": [CORRECTED]}))
        final = month_state(warehouse, month, returns_dir)
        emails = [{"to": m["To"], "subject": m["Subject"]} for m in mail.messages]

    # The marts, through the dbt DAG that the loaders' assets schedule in production.
    seconds["warehouse_build"] = run_dag(env, "warehouse_build")

    names = {c.code: c.name for c in catalogue.councils().values()}
    statuses = after_first["latest"]
    return {
        "warehouse": f"{warehouse.database} ({warehouse.origin})",
        "demo_month": month,
        "history": f"{history[0]}..{history[-1]}",
        "first_run": {
            "loaded": sum(1 for s in statuses.values() if s == "loaded"),
            "rejected": sorted(names[c] for c, s in statuses.items() if s == "rejected"),
            "not_received": sorted(names[c] for c in names if c not in statuses),
            "rows_loaded": after_first["rows"],
            "emails_this_session": mails_after_first,
        },
        "rerun_changed_nothing": after_rerun == after_first and len(mail.messages) >= mails_after_first,
        "resubmission": {"council": names[CORRECTED], "now": final["latest"].get(CORRECTED),
                         "rows_loaded_for_month": final["rows"]},
        "emails_sent": [{"council": names[s[0]], "kind": s[1], "status": s[2], "to": s[3], "subject": s[4]}
                        for s in final["sends"]],
        "emails_caught_this_run": emails,
        "mail_folder": str(config.state_path("mail")),
        "quarantined_files": _quarantine_files(month),
        "dag_logs": str(config.state_path("logs")),
        "reports": run_reports_step(warehouse, env, month, seconds),
        "seconds": seconds,
        "total_seconds": round(time.monotonic() - started, 1),
    }


def print_summary(summary: dict) -> None:
    """What a person reads at the end of `make demo`."""
    first = summary["first_run"]
    print(f"\ncouncilbench demo: reporting month {summary['demo_month']} on {summary['warehouse']}")
    print(f"  history loaded: {summary['history']}")
    print(f"  first run: {first['loaded']} returns loaded ({first['rows_loaded']} rows), "
          f"{len(first['rejected'])} rejected and quarantined: {', '.join(first['rejected'])}")
    if first["not_received"]:
        print(f"  not received: {', '.join(first['not_received'])}")
    print(f"  rerun of the month changed nothing and sent nothing: {summary['rerun_changed_nothing']}")
    r = summary["resubmission"]
    print(f"  corrected file from {r['council']}: {r['now']}")
    print("  emails (ops.notifications):")
    for e in summary["emails_sent"]:
        print(f"    {e['kind']:<9} {e['status']:<6} {e['council']:<14} to {e['to']}")
        print(f"              {e['subject']}")
    print(f"  emails saved as .eml in {summary['mail_folder']}")
    for path in summary["quarantined_files"]:
        print(f"  quarantined: {path}")
    print(f"  DAG logs: {summary['dag_logs']}")
    print_reports(summary.get("reports"))
    print("  seconds: " + ", ".join(f"{k} {v}" for k, v in summary["seconds"].items())
          + f"; total {summary['total_seconds']}")
