"""The demo's reports step: what the reports DAG (scheduled by the marts asset) wrote and
sent for the month, for `make demo` to print."""

from __future__ import annotations

from councilbench.core import settings
from councilbench.warehouse.connection import Warehouse, connect


def reports_summary(warehouse: Warehouse, month: str) -> dict:
    """Where a person finds the reports, and what the outbox (ops.outbox) says was emailed."""
    from councilbench.reports import pdf, pipeline

    with connect(warehouse, role="loader") as conn:
        sends = conn.execute(
            """select status, count(*), max(attempts) from ops.outbox
               where period = %s and kind = 'monthly_pack' group by 1""",
            [month],
        ).fetchall()
    stem = sorted(settings.state_path("reports").glob("performance-of-the-region-*.html"))
    folder = pipeline.packs_dir(month)
    pooled = sorted(settings.state_path("reports").glob("pooled-spend/*/*.html"))
    return {
        "month": month,
        "annual": [str(p.with_suffix(".pdf") if p.with_suffix(".pdf").exists() else p) for p in stem],
        "pooled_spend": [str(p.with_suffix(".pdf") if p.with_suffix(".pdf").exists() else p) for p in pooled],
        "packs_dir": str(folder),
        "packs": len(list(folder.glob("*.html"))),
        "example_pack": str(next(iter(sorted(folder.glob("*.pdf"))), next(iter(sorted(folder.glob("*.html"))), ""))),
        "pdf": pdf.available(),
        "pack_sends": {status: count for status, count, _ in sends},
        "most_attempts": max((a for *_, a in sends), default=0),
    }


def print_reports(reports: dict | None) -> None:
    """The lines `make demo` prints about the reports."""
    if not reports:
        return
    print(f"  reports ({reports['month']}):")
    for path in reports["annual"] + reports.get("pooled_spend", []):
        print(f"    {path}")
    print(f"    {reports['packs']} council packs in {reports['packs_dir']} (e.g. {reports['example_pack']})")
    if not reports["pdf"]:
        print("    PDFs skipped: no Chromium found (apt-get install chromium)")
    print(
        f"    pack emails (ops.outbox): {reports['pack_sends']}, each sent once "
        f"(most attempts for one pack: {reports['most_attempts']})"
    )
