"""What the reports DAG, the `councilbench report` command and the demo call.

    plan(warehouse)                         the month and financial years to report on
    render_annual(warehouse, years)         Performance of the Region (HTML + PDF) per year
    render_packs(warehouse, month)          each council's How <council> compares (HTML + PDF + summary JSON)
    render_pooled_spend(warehouse, years)   Pooled spend per partnership group with spend loaded (HTML + PDF)
    send_packs(warehouse, packs)            email each pack to its council's contacts, once

Output (councilbench.core.settings.state_path("reports")):

    reports/performance-of-the-region-2025-26.html / .pdf
    reports/performance-of-the-region-2026-27-year-to-date.html / .pdf
    reports/packs/2026-10/<short_name>.html / .pdf / .json
    reports/pooled-spend/2025-26/<group_id>.html / .pdf

The pooled spend reports are not emailed: a partnership group has no recipients of its
own; its procurement leads read them from the reports folder or the explorer.

A report with a console error, an uncaught exception, a request off the machine or a
chart without its title and description is not published: render_* raise ReportError.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from councilbench.core import settings
from councilbench.reports import annual, data, packs, pooled_spend, pooled_spend_data, render
from councilbench.reports import format as fmt
from councilbench.warehouse.connection import Warehouse

log = logging.getLogger(__name__)


class ReportError(RuntimeError):
    """A report did not render cleanly."""


def reports_dir() -> Path:
    return settings.state_path("reports")


def packs_dir(month: str, root: Path | None = None) -> Path:
    path = (root or reports_dir()) / "packs" / month
    path.mkdir(parents=True, exist_ok=True)
    return path


def plan(
    warehouse: Warehouse, month: str | None = None, financial_year: str | None = None, councils: list[str] | None = None
) -> dict:
    """The reporting month (default: the newest with an accepted return), the financial
    years for the annual report (default: the latest complete one with data, and the
    current year to date) and the councils whose packs to render (default: all)."""
    with data.open_marts(warehouse) as conn:
        month = month or data.latest_return_month(conn)
        if month is None:
            raise data.NoData("no accepted council return in the marts: nothing to report on yet")
        complete, ytd = data.choose_years(conn, month)
        years = [financial_year] if financial_year else [y for y in (complete, ytd) if y]
        known = data.councils(conn)
    wanted = list(councils or [])
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ValueError(f"not member councils: {', '.join(unknown)}")
    return {"month": month, "financial_years": years, "councils": [c for c in known if not wanted or c in wanted]}


def _publish(results: list, browser_results: list) -> None:
    problems = {str(r.path): r.problems() for r in browser_results if not r.clean}
    if problems:
        raise ReportError("reports did not render cleanly: " + json.dumps(problems, indent=1)[:4000])


def render_annual(
    warehouse: Warehouse,
    financial_years: list[str],
    *,
    month: str | None = None,
    pdf: bool = True,
    out_dir: Path | None = None,
) -> list[dict]:
    """The Performance of the Region report for each financial year (the year to date
    when the year is not over), as HTML and PDF."""
    from councilbench.reports.pdf import Chromium

    out = Path(out_dir) if out_dir else reports_dir()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with data.open_marts(warehouse) as conn:
        as_at = data.data_as_at(conn, month)
        for fy in financial_years:
            started = time.monotonic()
            report = annual.build(data.annual_data(conn, fy, as_at=as_at))
            html = render.write(out / f"{report.file_stem}.html", render.annual_html(report))
            written.append(
                {
                    "financial_year": fy,
                    "year_to_date": report.year_to_date,
                    "title": report.title,
                    "html": str(html),
                    "pdf": None,
                    "seconds": round(time.monotonic() - started, 2),
                }
            )
    if pdf:
        with Chromium() as browser:
            results = []
            for w in written:
                result = browser.render(Path(w["html"]), Path(w["html"]).with_suffix(".pdf"), footer=w["title"])
                results.append(result)
                w["pdf"] = str(result.pdf)
                w["seconds"] += result.seconds
            _publish(written, results)
    for w in written:
        log.info("%s: %s%s", w["title"], w["html"], f" and {w['pdf']}" if w["pdf"] else "")
    return written


def pooled_spend_dir(financial_year: str, root: Path | None = None) -> Path:
    path = (root or reports_dir()) / "pooled-spend" / financial_year
    path.mkdir(parents=True, exist_ok=True)
    return path


def render_pooled_spend(
    warehouse: Warehouse,
    financial_years: list[str] | None = None,
    groups: list[str] | None = None,
    *,
    pdf: bool = True,
    root: Path | None = None,
    out_dir: Path | None = None,
) -> list[dict]:
    """The Pooled spend report of each partnership group for each financial year, as
    HTML and PDF in <root>/pooled-spend/<year>/<group_id> (or out_dir/<file stem>).

    Named groups are rendered whatever the marts hold (a group with no spend for the year
    gets the report's empty state); by default only the groups with spend loaded for the
    year, and by default the newest year with spend. A warehouse whose spend marts were
    never built has none to render."""
    from councilbench.reports.pdf import Chromium

    written = []
    with data.open_marts(warehouse) as conn:
        if not pooled_spend_data.spend_marts_built(conn):
            log.info("no spend marts in the warehouse: no pooled spend reports")
            return []
        years = financial_years or pooled_spend_data.spend_years(conn)[-1:]
        for fy in years:
            for group_id in groups or pooled_spend_data.groups_with_spend(conn, fy):
                report = pooled_spend.build(pooled_spend_data.pooled_spend_data(conn, group_id, fy))
                folder = Path(out_dir) if out_dir else pooled_spend_dir(fy, root)
                name = report.file_stem if out_dir else group_id
                html = render.write(folder / f"{name}.html", pooled_spend.html(report))
                written.append(
                    {
                        "group_id": group_id,
                        "financial_year": fy,
                        "title": report.title,
                        "has_spend": report.has_spend,
                        "html": str(html),
                        "pdf": None,
                    }
                )
    if pdf and written:
        with Chromium() as browser:
            results = []
            for w in written:
                result = browser.render(Path(w["html"]), Path(w["html"]).with_suffix(".pdf"), footer=w["title"])
                results.append(result)
                w["pdf"] = str(result.pdf)
            _publish(written, results)
    for w in written:
        log.info("%s: %s%s", w["title"], w["html"], f" and {w['pdf']}" if w["pdf"] else "")
    return written


def render_packs(
    warehouse: Warehouse,
    month: str,
    councils: list[str] | None = None,
    *,
    pdf: bool = True,
    out_dir: Path | None = None,
) -> list[dict]:
    """Each council's pack for the month: HTML, PDF and the summary the email uses."""
    from councilbench.reports.pdf import Chromium

    folder = packs_dir(month, Path(out_dir) if out_dir else None)
    with data.open_marts(warehouse) as conn:
        month_data = data.month_data(conn, month)
    codes = councils or list(month_data.councils)
    written = []
    for code in codes:
        pack = packs.build(month_data, code)
        html = render.write(folder / f"{pack.file_stem}.html", render.pack_html(pack))
        summary = pack.summary()
        summary_path = folder / f"{pack.file_stem}.json"
        written.append(
            {
                "council_code": code,
                "short_name": pack.council.short_name,
                "title": pack.title,
                "month": month,
                "html": str(html),
                "pdf": None,
                "summary": str(summary_path),
            }
        )
        render.write(summary_path, json.dumps(summary, indent=1, default=str))
    if pdf:
        results = []
        with Chromium() as browser:
            for w in written:
                result = browser.render(
                    Path(w["html"]),
                    Path(w["html"]).with_suffix(".pdf"),
                    footer=f"{w['title']}, {fmt.month_label(month)}",
                )
                results.append(result)
                w["pdf"] = str(result.pdf)
        _publish(written, results)
    log.info("%d packs for %s in %s", len(written), month, folder)
    return written


def send_packs(warehouse: Warehouse, rendered: list[dict], *, smtp_conn_id: str = "smtp_default") -> list[dict]:
    """Email every rendered pack to its council, once (the outbox, ops.outbox). One council's
    failure does not stop the others; the task fails at the end (Airflow retries it and
    the ledger keeps the councils already sent from getting a second copy)."""
    from councilbench.reports.sending import send_pack

    outcomes, failures = [], []
    for r in rendered:
        summary = json.loads(Path(r["summary"]).read_text(encoding="utf-8"))
        files = [Path(p) for p in (r.get("pdf"), r.get("html")) if p]
        try:
            outcomes.append(send_pack(warehouse, summary, files, smtp_conn_id=smtp_conn_id).as_dict())
        except Exception as exc:  # noqa: BLE001 - recorded, then raised once all councils were tried
            log.error("pack for %s not sent: %s", r["council_code"], exc)
            failures.append(f"{r['council_code']}: {type(exc).__name__}: {exc}")
            outcomes.append(
                {"council_code": r["council_code"], "month": r["month"], "status": "failed", "error": str(exc)}
            )
    if failures:
        raise RuntimeError(
            f"{fmt.plural(len(failures), 'pack email')} not sent (the others were): " + "; ".join(failures)
        )
    return outcomes


def run(
    warehouse: Warehouse,
    *,
    month: str | None = None,
    financial_year: str | None = None,
    councils: list[str] | None = None,
    pdf: bool = True,
    send: bool = False,
    smtp_conn_id: str = "smtp_default",
) -> dict:
    """Everything in this process (the CLI and the demo): plan, annual reports, packs,
    and (send=True) the pack emails."""
    started = time.monotonic()
    p = plan(warehouse, month, financial_year, councils)
    annual_reports = render_annual(warehouse, p["financial_years"], month=p["month"], pdf=pdf)
    t = time.monotonic()
    rendered = render_packs(warehouse, p["month"], p["councils"], pdf=pdf)
    seconds = {"annual": round(t - started, 1), "packs": round(time.monotonic() - t, 1)}
    sent = send_packs(warehouse, rendered, smtp_conn_id=smtp_conn_id) if send else []
    return {
        **p,
        "annual": annual_reports,
        "packs": rendered,
        "sent": sent,
        "reports_dir": str(reports_dir()),
        "seconds": {**seconds, "total": round(time.monotonic() - started, 1)},
    }
