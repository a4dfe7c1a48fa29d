"""`councilbench report`: render the annual report and the council packs from the marts
in this process (the reports DAG's code), optionally email the packs and screenshot the
PDFs' first pages.

    councilbench report                                  # newest month, all councils, HTML + PDF
    councilbench report --month 2026-10 --council E08000027 --screenshot 2
    councilbench report --financial-year 2025-26 --no-packs
    councilbench report --send                           # email the packs (once per council and month)

`councilbench pooled-spend`: the Pooled spend report of a partnership group for a
financial year (HTML + PDF), for its procurement leads; never emailed.

    councilbench pooled-spend                                   # every group with spend, newest year with spend
    councilbench pooled-spend --group tri-council --financial-year 2025-26 --out DIR
"""

from __future__ import annotations

import json


def add_command(subparsers) -> None:
    """Register `councilbench report` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "report",
        help="render the Performance of the Region report and the council packs (HTML + PDF)",
        description="Render the annual Performance of the Region report (latest complete financial year and the "
        "year to date), the Pooled spend report of each partnership group with spend loaded for those years, "
        "and each council's monthly How <council> compares pack from the marts, into "
        "<state>/reports. Needs Chromium for the PDFs (apt-get install chromium).",
    )
    p.add_argument(
        "--month", help="reporting month YYYY-MM for the packs (default: the newest with an accepted return)"
    )
    p.add_argument(
        "--financial-year",
        help="financial year YYYY-YY of the annual report (default: the latest "
        "complete one and the current year to date)",
    )
    p.add_argument(
        "--council",
        action="append",
        default=[],
        metavar="CODE",
        help="only this council's pack (repeatable; default: all 33)",
    )
    p.add_argument("--no-pdf", action="store_true", help="HTML only (no Chromium needed)")
    p.add_argument("--no-packs", action="store_true", help="the annual report only")
    p.add_argument(
        "--send",
        action="store_true",
        help="email each pack to its council's contacts through smtp_default (once per council and month)",
    )
    p.add_argument(
        "--screenshot",
        type=int,
        default=0,
        metavar="PAGES",
        help="also write PNGs of the first PAGES pages of each PDF (pdftoppm) next to it",
    )
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_report)
    add_pooled_spend_command(subparsers)


def add_pooled_spend_command(subparsers) -> None:
    p = subparsers.add_parser(
        "pooled-spend",
        help="render the Pooled spend report of a partnership group (HTML + PDF)",
        description="Render a partnership group's Pooled spend report for a financial year from the spend marts: "
        "the councils' combined spend by ProClass heading, the collaboration opportunities with their savings "
        "range, the suppliers they share, and their spend files missing or late. Written to "
        "<state>/reports/pooled-spend/<year>/<group>.html and .pdf, or to --out. A group with no spend loaded "
        "for the year gets a report that says so. Needs Chromium for the PDFs.",
    )
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="GROUP_ID",
        help="partnership group id (marts.dim_partnership_group, e.g. tri-council; repeatable; "
        "default: every group with spend loaded for the year)",
    )
    p.add_argument(
        "--financial-year", help="financial year YYYY-YY (default: the newest with spend loaded)", metavar="YEAR"
    )
    p.add_argument("--out", metavar="DIR", help="write the files here instead (pooled-spend-<group>-<year>.html)")
    p.add_argument("--no-pdf", action="store_true", help="HTML only (no Chromium needed)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_pooled_spend)


def screenshots(pdf_path: str, pages: int, resolution: int = 60) -> list[str]:
    """PNGs of the first pages of a PDF, next to it: <stem>-page-1.png ..."""
    import subprocess
    from pathlib import Path

    pdf = Path(pdf_path)
    prefix = pdf.with_name(f"{pdf.stem}-page")
    for old in pdf.parent.glob(f"{pdf.stem}-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", "-f", "1", "-l", str(pages), str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    return sorted(str(p) for p in pdf.parent.glob(f"{pdf.stem}-page-*.png"))


def cmd_report(args) -> int:
    from councilbench.reports import format as fmt
    from councilbench.reports import pipeline
    from councilbench.warehouse.connection import resolve

    warehouse = resolve()
    pdf = not args.no_pdf
    plan = pipeline.plan(warehouse, args.month, args.financial_year, args.council)
    annual = pipeline.render_annual(warehouse, plan["financial_years"], month=plan["month"], pdf=pdf)
    packs = [] if args.no_packs else pipeline.render_packs(warehouse, plan["month"], plan["councils"], pdf=pdf)
    pooled = pipeline.render_pooled_spend(warehouse, pdf=pdf)
    sent = pipeline.send_packs(warehouse, packs) if args.send and packs else []
    shots = []
    if args.screenshot and pdf:
        for item in annual + packs:
            shots += screenshots(item["pdf"], args.screenshot)
    if args.json:
        print(
            json.dumps(
                {**plan, "annual": annual, "packs": packs, "pooled_spend": pooled, "sent": sent, "screenshots": shots},
                indent=1,
            )
        )
        return 0
    print(f"reports for {plan['month']} in {pipeline.reports_dir()}")
    for a in annual + pooled:
        print(f"  {a['title']}: {a['pdf'] or a['html']}")
    if packs:
        print(f"  {fmt.plural(len(packs), 'council pack')}: {pipeline.packs_dir(plan['month'])}")
    for s in sent:
        print(f"  email {s['status']:<12} {s['council_code']} to {', '.join(s.get('recipients') or [])}")
    for s in shots:
        print(f"  screenshot {s}")
    return 0


def cmd_pooled_spend(args) -> int:
    from councilbench.reports import pipeline
    from councilbench.warehouse.connection import resolve

    years = [args.financial_year] if args.financial_year else None
    written = pipeline.render_pooled_spend(
        resolve(), years, args.group or None, pdf=not args.no_pdf, out_dir=args.out or None
    )
    if args.json:
        print(json.dumps(written, indent=1))
        return 0
    if not written:
        print("no pooled spend report: no spend loaded in the marts for any partnership group")
    for w in written:
        state = "" if w["has_spend"] else " (no spend loaded for the year)"
        print(f"  {w['title']}{state}: {w['pdf'] or w['html']}")
    return 0
