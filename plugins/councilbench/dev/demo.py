"""`make demo`: the monthly cycle end to end on the resolved warehouse, through Airflow
as it is deployed: a scheduler, a dag-processor, a triggerer and an api-server (metadata
in PostgreSQL, LocalExecutor), driven through the REST API, the DAGs chained by assets.

1. `db up`; the Airflow services start; the reference_data DAG (registry, contacts,
   metric catalogue) is triggered through the REST API;
2. sample returns for all 33 councils (a year of history and the demo month, with
   faults in three councils' files), served one URL per council from 127.0.0.1, and a
   local SMTP catcher that writes every email to the state folder;
3. the history through the in-process backfill path (same code as the DAG);
4. the public_sources DAG (NOMIS, DEFRA, ONS and MHCLG files in their published formats:
   claimant count by age, qualifications, business counts, productivity, deprivation,
   land area); the case studies load with the reference data; at the end the demo prints
   each source's rows, a council's context, the region's economy and the neighbours the
   deprivation and density features changed (dev/demo_context.py);
5. the month triggered through the REST API: council_returns (30 load, 3 are quarantined
   and only their contacts get an email), and its asset schedules warehouse_build (dbt),
   whose asset schedules reports (annual report, the 33 packs, each emailed once);
6. a rerun of the month (nothing changes, nothing is sent, nothing rebuilt), then a
   corrected file from one of the three, which loads and runs the chain again;
7. return_reminders: the chaser for the month (to the councils still missing or
   rejected) with the platform team's summary, and the next month's reminders;
8. pooled spend (dev/demo_spend.py): the latest complete financial year of "spend over
   £500" for the 33 councils, eleven months in-process and March through council_spend
   under the scheduler (two councils' files rejected and emailed), whose asset schedules
   warehouse_build and reports; then each partnership group's total and top
   collaboration opportunities;
9. pay benchmarking (dev/demo_pay.py): every council's pay deposit for the pay year due,
   pulled by the scheduler's own council_pay run (a deposit with NI numbers rejected whole,
   one with hourly rates rejected), the suppressed statistics built, and one council's
   report printed as read by that council's own database role;
10. the oracle (dev/oracle/): every published mart recomputed independently from what the
   loaders wrote, compared cell by cell; the demo ends with its one-line verdict and fails
   (exit 1) if any figure differs.
Every DAG run is printed with its run type, state and seconds; the services stop at the
end. Rerunning the demo is safe: every step is idempotent.
"""

from __future__ import annotations

import hashlib
import signal
import time
from datetime import UTC, date, datetime
from pathlib import Path

from councilbench.core import catalogue, settings
from councilbench.dev.demo_context import context_summary, print_context
from councilbench.dev.demo_pay import print_pay
from councilbench.dev.demo_spend import print_pooled_spend
from councilbench.dev.reports_summary import print_reports, reports_summary
from councilbench.orchestration.airflow_env import smtp_connection
from councilbench.orchestration.api import AirflowApi, parse_time, run_seconds
from councilbench.warehouse import bootstrap
from councilbench.warehouse.connection import Warehouse, connect

#: The three councils whose demo returns are broken, and how.
DEMO_FAULTS = {
    "E08000027": ["numerator_above_denominator", "text_in_numeric"],  # Dudley: two row-level faults
    "E07000199": ["html_error_page"],  # Tamworth: a login page, not a return
    "E10000031": ["missing_required"],  # Warwickshire: a required metric missing
}
CORRECTED = "E08000027"
HISTORY_MONTHS = int(settings.get("COUNCILBENCH_DEMO_HISTORY_MONTHS"))
CHAIN = ["council_returns", "warehouse_build", "reports"]
SPEND_CHAIN = ["council_spend", "warehouse_build", "reports"]
PAY_CHAIN = ["council_pay", "warehouse_build", "reports"]
ALL_DAGS = ["reference_data", "public_sources", *CHAIN, "return_reminders", "council_spend", "council_pay"]


def demo_month(today: date | None = None) -> str:
    """The latest reporting month already due (COUNCILBENCH_DEMO_MONTH overrides)."""
    if settings.get("COUNCILBENCH_DEMO_MONTH"):
        return settings.get("COUNCILBENCH_DEMO_MONTH")
    from councilbench.core.calendar import ReturnsCalendar, month_text

    now = datetime.now(UTC) if today is None else datetime(today.year, today.month, today.day, tzinfo=UTC)
    return month_text(ReturnsCalendar.configured().latest_due_month(now))


def month_state(warehouse: Warehouse, month: str, returns_dir: Path) -> dict:
    """The month as the ledger sees it: the status of the file each council serves now
    (found by its hash, so a rerun of the demo on an old state reads the same), and the sends."""
    from councilbench.dev import sample_returns as sample

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
            [month, list(served), list(served.values())],
        ).fetchall()
        sends = conn.execute(
            """select subject, kind, status, array_to_string(recipients, ', '), subject_line from ops.outbox
               where submission_id is not null and period = %s order by 1""",
            [month],
        ).fetchall()
        rows = conn.execute(
            """select count(*) from raw.council_return_rows r join ops.submissions s using (submission_id)
                               where s.period = %s and s.status = 'loaded'""",
            [month],
        ).fetchone()[0]
    return {"latest": {c: s for c, s, _ in latest}, "sends": sends, "rows": rows}


def reminder_sends(warehouse: Warehouse, months: list[str]) -> list[tuple]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            """select period, kind, subject, status, array_to_string(recipients, ', '), subject_line
               from ops.outbox where kind in ('return_reminder', 'return_chaser', 'month_summary')
               and period = any(%s) order by period, kind, subject""",
            [months],
        ).fetchall()


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
               where source_kind = 'council_return' and period = any(%s)""",
            [months],
        ).rowcount
        conn.commit()
    return count


def emails_so_far(warehouse: Warehouse, mail) -> int:
    """Emails sent: as the demo's own catcher received them or, through a server the demo
    does not run (Mailpit), as the send-once outbox recorded them."""
    from councilbench.dev.mailcatcher import CatcherHandle

    if isinstance(mail, CatcherHandle):
        return len(mail.messages)
    with connect(warehouse, role="loader") as conn:
        return conn.execute("select count(*) from ops.outbox where status = 'sent'").fetchone()[0]


def _quarantine_files(month: str) -> list[str]:
    root = settings.state_path("quarantine")
    return sorted(str(p) for p in root.glob(f"*/{month}/*"))


def run_and_wait(
    api: AirflowApi, dag_id: str, conf: dict | None = None, *, due: bool = False, timeout: float = 900
) -> dict:
    """Trigger a DAG through the REST API and unpause it (with `due`, as the run the
    scheduler would make now, so unpausing starts no second one), wait for it, and raise
    if it failed."""
    run = api.trigger_due_run(dag_id, conf) if due else api.trigger(dag_id, conf)
    api.set_paused(dag_id, False)
    final = api.wait_for_run(dag_id, run["dag_run_id"], timeout=timeout)
    if final["state"] != "success":
        raise RuntimeError(
            f"{dag_id} run {final['dag_run_id']} ended {final['state']}: see its task logs in the UI "
            f"or under {settings.state_path('airflow')}/logs"
        )
    return final


def dag_runs_since(api: AirflowApi, since: datetime) -> list[dict]:
    """Every run of the project's DAGs queued since `since`, in the order they started."""
    runs = []
    for dag_id in ALL_DAGS:
        for run in api.runs(dag_id):
            queued = parse_time(run.get("queued_at") or run.get("start_date"))
            if queued and queued >= since:
                runs.append(
                    {
                        "dag_id": dag_id,
                        "run_id": run["dag_run_id"],
                        "run_type": run["run_type"],
                        "state": run["state"],
                        "seconds": run_seconds(run),
                        "start": run.get("start_date"),
                        "conf": run.get("conf") or {},
                    }
                )
    return sorted(runs, key=lambda r: r["start"] or "")


def run_demo(warehouse: Warehouse) -> dict:
    from councilbench.core.calendar import add_months, months_between
    from councilbench.dev import demo_pay, demo_spend
    from councilbench.dev import sample_returns as sample
    from councilbench.dev.file_server import serve_folder
    from councilbench.dev.mailcatcher import CatcherHandle, relay_or_catcher
    from councilbench.dev.oracle.verdict import verdict
    from councilbench.dev.public_sources import serve_demo_sources
    from councilbench.orchestration.services import AirflowServices, stop_on_signals
    from councilbench.returns.pipeline import backfill

    # SIGTERM (timeout, a CI job cancelled) unwinds like Ctrl-C, so the Airflow components
    # the demo started, each in a process group of its own, are stopped, not orphaned.
    stop_on_signals(signal.SIGINT, signal.SIGTERM)

    started, began = time.monotonic(), datetime.now(UTC)
    seconds: dict[str, float] = {}
    month = demo_month()
    next_month = add_months(month, 1)
    history = months_between(add_months(month, -HISTORY_MONTHS), add_months(month, -1))
    returns_dir = settings.state_path("demo", "returns")
    spend_dir = settings.state_path("demo", "spend")
    pay_dir = settings.state_path("demo", "pay")
    pay_year = demo_pay.pay_year_due()
    financial_year, spend_months = demo_spend.financial_year_months(month)
    bootstrap.up(warehouse)

    t = time.monotonic()
    sample.write_returns(returns_dir, [*history, month], faults=DEMO_FAULTS)
    seconds["sample_returns"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    demo_spend.write_year(spend_dir, spend_months)
    seconds["sample_spend"] = round(time.monotonic() - t, 1)
    demo_pay.write_deposits(pay_dir, pay_year)

    # Mail goes to the server COUNCILBENCH_SMTP_HOST names (Mailpit in docker compose),
    # else to a catcher of the demo's own that saves each message under <state>/mail.
    with (
        serve_folder(returns_dir) as http,
        serve_folder(spend_dir) as spend_http,
        serve_folder(pay_dir) as pay_http,
        relay_or_catcher(settings.state_path("mail")) as mail,
        serve_demo_sources(settings.state_path("demo", "public-sources")) as public_env,
    ):
        overrides = {
            **public_env,
            "COUNCILBENCH_RETURNS_BASE_URL": http.url,
            "COUNCILBENCH_SPEND_BASE_URL": spend_http.url,
            "COUNCILBENCH_PAY_BASE_URL": pay_http.url,
            "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(mail.host, mail.port),
        }
        t = time.monotonic()
        with AirflowServices(warehouse, port=None, env=overrides) as airflow:
            seconds["airflow_start"] = round(time.monotonic() - t, 1)
            api = airflow.api
            run_and_wait(api, "reference_data")

            t = time.monotonic()
            # History was due long ago: batch-validate it and load it without emailing anyone.
            backfill(warehouse, history, returns_base_url=http.url, notify=False)
            date_history_as_sent(warehouse, history)
            seconds[f"history_backfill_{len(history)}_months"] = round(time.monotonic() - t, 1)

            # warehouse_build is still paused: its asset event is not queued, the month's build covers it.
            run_and_wait(api, "public_sources", due=True)

            # The month's own run first, then unpause: the scheduler sees that month has a run.
            mails_before = emails_so_far(warehouse, mail)
            first = api.trigger_month("council_returns", month)
            for dag_id in CHAIN:
                api.set_paused(dag_id, False)
            api.wait_for_run("council_returns", first["dag_run_id"], timeout=900)
            api.wait_until_idle(CHAIN, timeout=1200)
            after_first = month_state(warehouse, month, returns_dir)
            mails_after_first = emails_so_far(warehouse, mail) - mails_before

            run_and_wait(api, "council_returns", {"period": month})  # a rerun: changes nothing
            api.wait_until_idle(CHAIN, timeout=600)
            after_rerun = month_state(warehouse, month, returns_dir)
            mails_after_rerun = emails_so_far(warehouse, mail) - mails_before

            fixed = sample.return_path(returns_dir, catalogue.councils()[CORRECTED], month)
            fixed.write_bytes(sample.faulted_bytes(CORRECTED, month))
            run_and_wait(api, "council_returns", {"period": month, "councils": [CORRECTED]})
            api.wait_until_idle(CHAIN, timeout=1200)
            final = month_state(warehouse, month, returns_dir)

            run_and_wait(api, "return_reminders", {"period": month, "kind": "chaser"}, due=True)
            run_and_wait(api, "return_reminders", {"period": next_month, "kind": "reminder"})

            t = time.monotonic()
            spend_history = demo_spend.load_history(warehouse, spend_months[:-1], spend_http.url)
            seconds["spend_history_11_months"] = round(time.monotonic() - t, 1)
            # March through the scheduler; unpaused, it also makes its own run for the
            # latest month due, which finds nothing published in the sample.
            t = time.monotonic()
            spend_run = api.trigger_month("council_spend", spend_months[-1])
            api.set_paused("council_spend", False)
            api.wait_for_run("council_spend", spend_run["dag_run_id"], timeout=900)
            api.wait_until_idle(SPEND_CHAIN, timeout=1200)
            seconds["spend_month_and_chain"] = round(time.monotonic() - t, 1)

            # The pay year's deposits: the run the scheduler makes for it (its 1 May).
            t = time.monotonic()
            pay_run = api.trigger_due_run("council_pay")
            api.set_paused("council_pay", False)
            api.wait_for_run("council_pay", pay_run["dag_run_id"], timeout=900)
            api.wait_until_idle(PAY_CHAIN, timeout=1200)
            seconds["pay_deposits_and_chain"] = round(time.monotonic() - t, 1)
            runs = dag_runs_since(api, began)
            airflow_facts = {
                "executor": airflow.env["AIRFLOW__CORE__EXECUTOR"],
                "metadata": airflow.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[-1],
                "ui": airflow.url,
            }
        caught = isinstance(mail, CatcherHandle)
        emails = [{"to": m["To"], "subject": m["Subject"]} for m in mail.messages] if caught else []
        where_mail_is = (
            f"saved as .eml in {mail.folder}"
            if caught
            else f"sent through SMTP {mail.host}:{mail.port} (COUNCILBENCH_SMTP_HOST): read them there"
        )

    t = time.monotonic()
    checked = verdict(warehouse)
    seconds["oracle"] = round(time.monotonic() - t, 1)
    names = {c.code: c.name for c in catalogue.councils().values()}
    statuses = after_first["latest"]
    return {
        "warehouse": f"{warehouse.database} ({warehouse.origin})",
        "demo_month": month,
        "history": f"{history[0]}..{history[-1]}",
        "airflow": airflow_facts,
        "dag_runs": runs,
        "first_run": {
            "loaded": sum(1 for s in statuses.values() if s == "loaded"),
            "rejected": sorted(names[c] for c, s in statuses.items() if s == "rejected"),
            "not_received": sorted(names[c] for c in names if c not in statuses),
            "rows_loaded": after_first["rows"],
            "emails_this_session": mails_after_first,
        },
        "rerun_changed_nothing": after_rerun == after_first and mails_after_rerun == mails_after_first,
        "resubmission": {
            "council": names[CORRECTED],
            "now": final["latest"].get(CORRECTED),
            "rows_loaded_for_month": final["rows"],
        },
        "emails_sent": [
            {"council": names[s[0]], "kind": s[1], "status": s[2], "to": s[3], "subject": s[4]} for s in final["sends"]
        ],
        "reminders": [
            {
                "month": r[0],
                "kind": r[1],
                "council": names.get(r[2], "platform team"),
                "status": r[3],
                "to": r[4],
                "subject": r[5],
            }
            for r in reminder_sends(warehouse, [month, next_month])
        ],
        "emails_caught_this_run": emails,
        "mail": where_mail_is,
        "quarantined_files": _quarantine_files(month),
        "reports": reports_summary(warehouse, month),
        "context": context_summary(warehouse),
        "pooled_spend": {
            "financial_year": financial_year,
            "history_months": f"{spend_months[0]}..{spend_months[-2]}",
            "dag_month": spend_months[-1],
            "history": spend_history,
            "rejected": demo_spend.rejected_councils(warehouse, spend_months),
            "groups": demo_spend.pooled_spend(warehouse, financial_year),
        },
        "pay": demo_pay.pay_summary(warehouse, pay_year, report=True),
        "oracle": {
            "line": checked.line(),
            "figures": checked.figures,
            "differences": checked.differences,
            "marts": checked.checked,
            "reports": checked.reports,
        },
        "seconds": seconds,
        "total_seconds": round(time.monotonic() - started, 1),
    }


def _print_runs(summary: dict) -> None:
    a = summary["airflow"]
    print(f"  Airflow DAG runs ({a['executor']}, metadata in PostgreSQL database {a['metadata']}):")
    for r in summary["dag_runs"]:
        conf = r["conf"]
        what = " ".join(f"{k}={v}" for k, v in conf.items() if v not in (None, [], "")) if conf else ""
        seconds = f"{r['seconds']:.1f} s" if r["seconds"] is not None else "-"
        print(f"    {r['dag_id']:<17} {r['run_type']:<16} {r['state']:<8} {seconds:>8}   {what}")


def _print_return_emails(summary: dict) -> None:
    """Each rejection in full; the receipts (one per accepted return, about 30) counted."""
    emails = summary["emails_sent"]
    receipts = [e for e in emails if e["kind"] == "receipt"]
    print("  emails about returns (ops.outbox):")
    for e in emails:
        if e["kind"] == "receipt" and len(receipts) > 4:
            continue
        print(f"    {e['kind']:<9} {e['status']:<6} {e['council']:<14} to {e['to']}")
        print(f"              {e['subject']}")
    if len(receipts) > 4:
        sent = sum(1 for e in receipts if e["status"] == "sent")
        print(f"    receipt   {sent} of {len(receipts)} sent, one to each council whose return was accepted, e.g.")
        print(f"              {receipts[0]['subject']}")


def _print_reminders(summary: dict) -> None:
    reminders = summary["reminders"]
    print("  reminders and chasers (return_reminders, ops.outbox):")
    for month_kind in sorted({(r["month"], r["kind"]) for r in reminders}):
        sent = [r for r in reminders if (r["month"], r["kind"]) == month_kind]
        if len(sent) > 4:
            print(f"    {month_kind[1]:<15} {month_kind[0]}: {len(sent)} councils, e.g. {sent[0]['subject']}")
            continue
        for r in sent:
            print(f"    {r['kind']:<15} {r['status']:<6} {r['council']:<22} to {r['to']}")
            print(f"                    {r['subject']}")


def explorer_lines() -> list[str]:
    """Where to look at the demo's marts in a browser: the explorer, and how to start it
    (it reads the same warehouse, found the same way)."""
    from councilbench.explorer.server import DEFAULT_PORT, LOCAL_HOST

    return [
        f"  explorer (dashboards on these marts, Check a file, open data): http://{LOCAL_HOST}:{DEFAULT_PORT}",
        "    start it with `make explorer` (or `councilbench explorer`), then open that address; Ctrl-C stops it. "
        "In Docker the explorer service serves it there.",
    ]


def print_summary(summary: dict) -> None:
    """What a person reads at the end of `make demo`."""
    first = summary["first_run"]
    print(f"\ncouncilbench demo: reporting month {summary['demo_month']} on {summary['warehouse']}")
    print(f"  history loaded: {summary['history']}")
    _print_runs(summary)
    print(
        f"  first run: {first['loaded']} returns loaded ({first['rows_loaded']} rows), "
        f"{len(first['rejected'])} rejected and quarantined: {', '.join(first['rejected'])}"
    )
    if first["not_received"]:
        print(f"  not received: {', '.join(first['not_received'])}")
    print(f"  rerun of the month changed nothing, sent nothing and rebuilt nothing: {summary['rerun_changed_nothing']}")
    r = summary["resubmission"]
    print(f"  corrected file from {r['council']}: {r['now']}")
    _print_return_emails(summary)
    _print_reminders(summary)
    print(f"  emails {summary['mail']}")
    for path in summary["quarantined_files"]:
        print(f"  quarantined: {path}")
    print(
        f"  Airflow logs: {settings.state_path('logs', 'airflow')} (components), "
        f"{settings.state_path('airflow')}/logs (tasks)"
    )
    print_reports(summary.get("reports"))
    print_context(summary.get("context"))
    print_pooled_spend(summary.get("pooled_spend"))
    print_pay(summary.get("pay"))
    for line in explorer_lines():
        print(line)
    print(
        "  seconds: "
        + ", ".join(f"{k} {v}" for k, v in summary["seconds"].items())
        + f"; total {summary['total_seconds']}"
    )
    for report in summary["oracle"]["reports"]:
        print(report)
    print(summary["oracle"]["line"])  # the last word: were the published figures right?
