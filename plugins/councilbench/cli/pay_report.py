"""`councilbench pay-report`: a council's own pay report, read as the council's database
role (row-level security decides what it sees), as HTML and PDF, with a CSV on request,
and emailed to the council's contacts on request (once per selection).

    councilbench pay-report --council dudley --year 2025-26
    councilbench pay-report --council dudley --roles planning_officer,accountant --group tier --year 2025-26 --csv
    councilbench pay-report --council dudley --family Finance --group west-midlands --year 2025-26 --send
"""

from __future__ import annotations

import argparse
import json

from councilbench.cli.pay import pay_year
from councilbench.cli.validate import council_code


def role_list(text: str) -> list[str]:
    roles = [r.strip() for r in text.split(",") if r.strip()]
    if not roles:
        raise argparse.ArgumentTypeError("give role ids separated by commas, e.g. planning_officer,accountant")
    return roles


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "pay-report",
        help="a council's own pay report: its median per role against a comparison group's quartiles",
        description="For each role, where the council's median FTE salary sits against a comparison group's "
        "quartiles (with the NJC spine points), a chart, the group's statistics that are suppressed and why, "
        "and the council's gender pay gap. Read as the council's own database role, so PostgreSQL shows it its "
        "own posts and the suppressed statistics only. Written to <state>/reports/pay/<year>/ or --out; "
        "needs Chromium for the PDF.",
    )
    p.add_argument("--council", required=True, type=council_code, help="GSS code (E08000027) or short name (dudley)")
    chosen = p.add_mutually_exclusive_group()
    chosen.add_argument(
        "--roles", type=role_list, help="catalogue role ids, comma-separated (default: all the council's)"
    )
    chosen.add_argument("--family", help="every role of the council in this job family (e.g. Finance)")
    p.add_argument(
        "--group",
        default="region",
        help="region (default), tier, neighbours, county, or a partnership group id (e.g. tri-council)",
    )
    p.add_argument("--year", required=True, type=pay_year, help="NJC pay year YYYY-YY, e.g. 2025-26")
    p.add_argument("--out", metavar="DIR", help="write the files here instead")
    p.add_argument("--csv", action="store_true", help="also write the figures as CSV beside the report")
    p.add_argument("--no-pdf", action="store_true", help="HTML only (no Chromium needed)")
    p.add_argument(
        "--send",
        action="store_true",
        help="email it (CSV attached) to the council's contacts through smtp_default, once per selection",
    )
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_pay_report)


def cmd_pay_report(args) -> int:
    from councilbench.reports import pay_report
    from councilbench.reports.data import NoData
    from councilbench.reports.pay_report_data import SelectionError
    from councilbench.warehouse.connection import resolve

    warehouse = resolve()
    try:
        report, files = pay_report.render_report(
            warehouse, args.council, args.group, args.year, args.roles, args.family,
            out_dir=args.out or None, pdf=not args.no_pdf, with_csv=args.csv,
        )  # fmt: skip
    except (NoData, SelectionError, ValueError) as error:
        print(f"pay-report: {error}")
        return 1
    sent = None
    if args.send:
        from councilbench.reports.pay_report_sending import send_report

        sent = send_report(warehouse, report, files).as_dict()
    if args.json:
        print(json.dumps({"title": report.title, "selection": report.selection, **files, "sent": sent}, indent=1))
        return 0 if not sent or sent["status"] != "no_contacts" else 1
    print(report.title)
    for finding in report.findings:
        print(f"  {finding}")
    for kind in ("html", "pdf", "csv"):
        if files[kind]:
            print(f"  {kind}: {files[kind]}")
    if sent:
        print(f"  email {sent['status']} to {', '.join(sent['recipients']) or 'nobody'}")
        if sent["status"] == "no_contacts":
            print(f"  {sent['error']}")
            return 1
    return 0
