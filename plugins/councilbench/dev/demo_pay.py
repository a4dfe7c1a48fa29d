"""The demo's pay benchmarking: every council's pay deposit for the pay year the
council_pay DAG is due for (the one that began last April), served from 127.0.0.1 and
pulled by the scheduler's own run, whose asset schedules warehouse_build (the suppressed
statistics); then what the platform published and one council's report, read as that
council's own database role.

Two deposits are broken: one holds National Insurance numbers (rejected whole, nothing
loaded, and the council's email quotes none of them), one gives hourly rates in the
annual salary column.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from councilbench.core import catalogue
from councilbench.warehouse.connection import Warehouse, connect

PAY_FAULTS = {
    "sandwell": ["ni_numbers"],  # personal data: the whole file is rejected
    "rugby": ["hourly_rates"],  # hourly rates in the annual salary column
}
SCALE = 1.0
#: The council whose report the demo prints, and the comparison it asks for.
REPORT_COUNCIL, REPORT_GROUP = "dudley", "region"


def pay_year_due(now: datetime | None = None) -> str:
    """The pay year the DAG's latest due run asks for (its run on 1 May)."""
    from councilbench.pay.kind import pay_year_of

    return pay_year_of(now or datetime.now(UTC))


def write_deposits(folder: Path, pay_year: str) -> int:
    """Every council's deposit, unless this folder already holds exactly these."""
    from councilbench.dev import sample_pay

    marker = folder / "written.json"
    wanted = {"pay_year": pay_year, "scale": SCALE, "faults": PAY_FAULTS}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return 0
    sample = sample_pay.write(folder, pay_year, scale=SCALE, faults=PAY_FAULTS)
    marker.write_text(json.dumps(wanted))
    return len(sample.files)


def pay_summary(warehouse: Warehouse, pay_year: str, *, report: bool = False) -> dict:
    """What the deposits left: per status, the posts loaded, and the statistics published
    or suppressed (with the commonest reasons), as the loader and the analyst see them;
    with `report`, REPORT_COUNCIL's report summary, read as that council's own role."""
    names = {c.code: c.name for c in catalogue.councils().values()}
    with connect(warehouse, role="loader") as conn:
        statuses = conn.execute(
            """select subject, status from ops.submissions where source_kind = 'council_pay' and period = %s
               and status in ('loaded', 'rejected')""",
            [pay_year],
        ).fetchall()
        posts = conn.execute(
            """select count(*), coalesce(sum(headcount), 0) from raw.council_pay_posts p
               join ops.submissions s using (submission_id) where s.status = 'loaded' and s.period = %s""",
            [pay_year],
        ).fetchone()
    with connect(warehouse, role="analyst") as conn:
        published = conn.execute(
            """select count(*) filter (where not is_suppressed), count(*) filter (where is_suppressed)
               from marts.mart_pay_benchmark where pay_year = %s""",
            [pay_year],
        ).fetchone()
        reasons = conn.execute(
            """select suppression_reason, count(*) from marts.mart_pay_benchmark
               where pay_year = %s and is_suppressed group by 1 order by 2 desc limit 3""",
            [pay_year],
        ).fetchall()
    summary_text = ""
    if report:
        from councilbench.reports import pay_report

        summary_text = pay_report.text_summary(warehouse, REPORT_COUNCIL, REPORT_GROUP, pay_year)
    return {
        "report": summary_text,
        "pay_year": pay_year,
        "loaded": sum(1 for _, s in statuses if s == "loaded"),
        "rejected": sorted(names[c] for c, s in statuses if s == "rejected"),
        "posts": posts[0],
        "incumbents": posts[1],
        "published": published[0],
        "suppressed": published[1],
        "reasons": reasons,
    }


def print_pay(summary: dict | None) -> None:
    if not summary:
        return
    print(
        f"  pay benchmarking, pay year {summary['pay_year']}: {summary['loaded']} deposits loaded "
        f"({summary['posts']:,} posts, {summary['incumbents']:,} incumbents) through council_pay"
    )
    for name in summary["rejected"]:
        print(f"    rejected, nothing loaded (the council was emailed what to fix): {name}")
    print(
        f"    statistics published: {summary['published']:,}; suppressed: {summary['suppressed']:,} "
        "(fewer than 5 councils or 5 incumbents, or one council over 25%), e.g.:"
    )
    for reason, count in summary["reasons"]:
        print(f"      {count:>6,}  {reason}")
    if summary.get("report"):
        print(summary["report"])
