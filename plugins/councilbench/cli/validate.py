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
DESCRIPTION = ("Check a monthly council return exactly as the platform will, and print what would be "
               "rejected, row by row. Exit status 0 when it would be accepted (warnings are printed), "
               "1 when it would be rejected.")


def add_command(subparsers) -> argparse.ArgumentParser:
    """Register `validate` on an argparse subparsers object (cli.build_parser calls this)."""
    p = subparsers.add_parser("validate", help=HELP, description=DESCRIPTION)
    p.add_argument("file", metavar="FILE", type=Path, help="the return file (.csv or .xlsx)")
    p.add_argument("--council", required=True, metavar="CODE",
                   help="the council's GSS code (e.g. E08000027) or short name (e.g. dudley)")
    p.add_argument("--period", required=True, metavar="YYYY-MM", help="the return month, e.g. 2026-10")
    p.set_defaults(func=run)
    return p


def _council(text: str):
    from councilbench.core import catalogue

    councils = catalogue.councils()
    key = text.strip()
    if key.upper() in councils:
        return councils[key.upper()]
    by_short = {c.short_name: c for c in councils.values()}
    return by_short.get(key.lower())


def _unknown_council(text: str) -> str:
    return f"unknown council {text!r}: give its GSS code (e.g. E08000027) or short name (e.g. dudley)"


def council_code(text: str) -> str:
    """argparse type for --council in every command: a GSS code or short name (any case)
    -> the GSS code; an unknown council is a usage error (exit status 2)."""
    council = _council(text)
    if council is None:
        raise argparse.ArgumentTypeError(_unknown_council(text))
    return council.code


def run(args) -> int:
    from councilbench.returns.contract import MONTH_RE

    council = _council(args.council)
    if council is None:
        print(f"councilbench validate: error: {_unknown_council(args.council)}", file=sys.stderr)
        return 2
    if not MONTH_RE.match(args.period or ""):
        print(f"councilbench validate: error: --period must be a month written YYYY-MM (e.g. 2026-10), got "
              f"{args.period!r}", file=sys.stderr)
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
