"""`councilbench spend run|backfill`: council spend files in this process (same code as
the council_spend DAG) for engineers' reruns and backfills."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict

from councilbench.cli.validate import council_code

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def spend_period(text: str) -> str:
    if not _PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (YYYY-MM, e.g. 2026-03) or a quarter (YYYY-Qn)")
    return text


def month(text: str) -> str:
    if not _MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: write YYYY-MM, e.g. 2026-03")
    return text


def _common(parser) -> None:
    parser.add_argument(
        "--council",
        action="append",
        type=council_code,
        metavar="CODE",
        help="only this council: GSS code (E08000027) or short name (dudley); repeatable",
    )
    parser.add_argument("--spend-base-url", help="overrides COUNCILBENCH_SPEND_BASE_URL")


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "spend",
        help="run the council-spend pipeline in this process (rerun a period, backfill)",
        description="Pull, land, validate, load and (for run) email councils' 'spend over £500' files without a "
        "scheduler, then resolve suppliers and categories. The council_spend DAG runs the same code.",
    )
    sub = p.add_subparsers(dest="spend_action", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="one period: a month YYYY-MM or a quarter YYYY-Qn")
    run.add_argument(
        "--period",
        required=True,
        type=spend_period,
        help="YYYY-MM (quarterly publishers when it ends their quarter) or YYYY-Qn",
    )
    run.add_argument("--no-email", action="store_true", help="record results but send no email")
    _common(run)
    back = sub.add_parser("backfill", help="a range of months, oldest first (no emails: they were due long ago)")
    back.add_argument("--from", dest="first", required=True, type=month, help="first month YYYY-MM")
    back.add_argument("--to", dest="last", required=True, type=month, help="last month YYYY-MM")
    _common(back)
    review = sub.add_parser("review", help="the supplier matches to check by eye, as a CSV (least certain first)")
    review.add_argument("--out", required=True, help="the CSV to write")
    review.add_argument("--all", action="store_true", help="every match, not only fuzzy and truncated names")
    sub.add_parser(
        "resolve",
        help="resolve suppliers and categorise expenses again (after editing the overrides or category seeds)",
    )
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    from councilbench.warehouse.connection import resolve

    wh = resolve()
    if args.spend_action == "review":
        return _review(wh, args)
    if args.spend_action == "resolve":
        from councilbench.spend import resolve as spend_resolve

        print(json.dumps(asdict(spend_resolve.run(wh))))
        print("the marts change at the next warehouse build (warehouse_build, or `councilbench dbt build`)")
        return 0
    return _run(wh, args)


def _review(wh, args) -> int:
    from pathlib import Path

    from councilbench.spend import review

    rows = review.matches_to_review(wh, everything=args.all)
    path = review.write_review(rows, Path(args.out))
    print(f"{len(rows)} supplier matches to review in {path}")
    print(
        "to correct one: add its raw_name to dbt_project/seeds/supplier_match_overrides.csv with the right "
        "canonical_id (or 'distinct') and a reason, then `councilbench spend resolve`"
    )
    return 0


def _run(wh, args) -> int:
    from councilbench.core.calendar import months_between
    from councilbench.spend.pipeline import SpendRunError, run_period

    periods = [args.period] if args.spend_action == "run" else months_between(args.first, args.last)
    notify = args.spend_action == "run" and not args.no_email
    failed = False
    for period in periods:
        try:
            summary, _ = run_period(
                wh, period, args.council, spend_base_url=args.spend_base_url, bulk=len(periods) > 1, notify=notify
            )
        except SpendRunError as error:  # the other files were processed and recorded
            summary, failed = {"period": period, "error": str(error)}, True
        print(json.dumps({"period": period, **summary}, default=lambda o: asdict(o)), flush=True)
    return 1 if failed else 0
