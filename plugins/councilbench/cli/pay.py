"""`councilbench pay run`: councils' pay deposits in this process (same code as the
council_pay DAG) for engineers' reruns and for a deposit a council has just made."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict

from councilbench.cli.validate import council_code

_PAY_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def pay_year(text: str) -> str:
    m = _PAY_YEAR.match(text)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a pay year: write YYYY-YY, e.g. 2025-26 (April to March)")
    return text


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "pay",
        help="run the pay-deposit pipeline in this process (a council's new deposit, a rerun)",
        description="Pull, land, validate, load and email councils' pay deposits for a pay year without a "
        "scheduler. The council_pay DAG runs the same code.",
    )
    sub = p.add_subparsers(dest="pay_action", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="one pay year's deposits (all councils, or those named)")
    run.add_argument("--year", required=True, type=pay_year, help="NJC pay year YYYY-YY, e.g. 2025-26")
    run.add_argument(
        "--council",
        action="append",
        type=council_code,
        metavar="CODE",
        help="only this council: GSS code (E08000027) or short name (dudley); repeatable",
    )
    run.add_argument("--pay-base-url", help="overrides COUNCILBENCH_PAY_BASE_URL")
    run.add_argument("--no-email", action="store_true", help="record results but send no email")
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    from councilbench.pay.pipeline import PayRunError, run_year
    from councilbench.warehouse.connection import resolve

    try:
        summary, _ = run_year(
            resolve(), args.year, args.council, pay_base_url=args.pay_base_url, notify=not args.no_email
        )
    except PayRunError as error:  # the other deposits were processed and recorded
        print(json.dumps({"pay_year": args.year, "error": str(error)}), flush=True)
        return 1
    print(json.dumps({"pay_year": args.year, **summary}, default=lambda o: asdict(o)), flush=True)
    return 0
