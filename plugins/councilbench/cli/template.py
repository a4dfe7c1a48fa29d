"""`councilbench template`: the return template councils fill in, blank or pre-filled
for a council and month. Imports happen inside the command so `--help` stays instant."""

from __future__ import annotations

import argparse
import textwrap

TEMPLATE_EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench template --out /tmp/t                                   blank return_template.csv and .xlsx
      councilbench template --out /tmp/t --council dudley --period 2026-10  dudley_2026-10_return.csv and .xlsx,
                                                                           one row per metric due that month
    """
)


def add_command(subparsers) -> None:
    template = subparsers.add_parser(
        "template",
        help="write the return template (blank, or pre-filled for a council and month)",
        description="Write the CSV and Excel return template councils fill in. With --council and --period the "
        "template has one row per metric due from that council that month, with council_code, period, "
        "metric_id and status filled in; the Excel one explains every column and metric.",
        epilog=TEMPLATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    template.add_argument("--out", metavar="DIR", required=True, help="folder to write into (created if needed)")
    template.add_argument("--council", metavar="CODE", help="GSS code or short name of the council")
    template.add_argument("--period", metavar="YYYY-MM", help="the return month")
    template.add_argument(
        "--format", choices=["csv", "xlsx", "both"], default="both", help="which files (default both)"
    )
    template.set_defaults(func=cmd_template)


def cmd_template(args) -> int:
    from councilbench.core.calendar import month_index
    from councilbench.core.catalogue import find_council
    from councilbench.returns.template import write_templates

    if bool(args.council) != bool(args.period):
        raise ValueError("give --council and --period together (or neither, for the blank template)")
    council = find_council(args.council).code if args.council else None
    if args.period:
        month_index(args.period)
    formats = ("csv", "xlsx") if args.format == "both" else (args.format,)
    for path in write_templates(args.out, council, args.period, formats):
        print(path)
    return 0
