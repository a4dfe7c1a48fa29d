"""`councilbench validate FILE --council CODE --period YYYY-MM`: check a return before sending it.

The same parse and checks the platform runs on a fetched return, on a laptop with no
warehouse: the rules come from the expectations/ suites and the dbt seed catalogue.
Prints exactly what the rejection email would say. Exit status: 0 accepted (with or
without warnings), 1 rejected, 2 wrong arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "check a council return file (CSV or XLSX) against the return contract before sending it"
DESCRIPTION = (
    "Check a monthly council return exactly as the platform will, and print what would be "
    "rejected, row by row. Exit status 0 when it would be accepted (warnings are printed), "
    "1 when it would be rejected."
)


def add_command(subparsers) -> argparse.ArgumentParser:
    """Register `validate` on an argparse subparsers object (cli.build_parser calls this)."""
    p = subparsers.add_parser("validate", help=HELP, description=DESCRIPTION)
    p.add_argument("file", metavar="FILE", type=Path, help="the return file (.csv or .xlsx)")
    p.add_argument(
        "--council",
        required=True,
        metavar="CODE",
        help="the council's GSS code (e.g. E08000027) or short name (e.g. dudley)",
    )
    p.add_argument("--period", required=True, metavar="YYYY-MM", help="the return month, e.g. 2026-10")
    p.set_defaults(func=run)
    return p


def council_code(text: str) -> str:
    """argparse type for --council in every command: a GSS code or short name (any case)
    -> the GSS code; an unknown council is a usage error (exit status 2)."""
    from councilbench.core.catalogue import UnknownCouncil, find_council

    try:
        return find_council(text).code
    except UnknownCouncil as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args) -> int:
    from councilbench.core.catalogue import UnknownCouncil, find_council
    from councilbench.returns.contract import MONTH_RE

    try:
        council = find_council(args.council)
    except UnknownCouncil as exc:
        print(f"councilbench validate: error: {exc}", file=sys.stderr)
        return 2
    if not MONTH_RE.match(args.period or ""):
        print(
            f"councilbench validate: error: --period must be a month written YYYY-MM (e.g. 2026-10), got "
            f"{args.period!r}",
            file=sys.stderr,
        )
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"councilbench validate: error: no such file: {path}", file=sys.stderr)
        return 2

    from councilbench.returns.parse import parse_return
    from councilbench.returns.report_text import render_text
    from councilbench.returns.validate import validate_return

    report = validate_return(parse_return(path), council_code=council.code, return_month=args.period)
    sys.stdout.write(render_text(report, council.name))
    return 1 if report.outcome == "fail" else 0
