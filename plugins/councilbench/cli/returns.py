"""`councilbench returns run|backfill`: the monthly pipeline in this process (same code
as the council_returns DAG) for engineers' reruns and fast backfills."""

from __future__ import annotations

import json

from councilbench.cli.validate import council_code


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "returns",
        help="run the council-returns pipeline in this process (rerun a month, backfill)",
        description="Pull, land, validate, email and load council returns without a scheduler. "
        "The council_returns DAG runs the same code, mapped over councils.",
    )
    sub = p.add_subparsers(dest="returns_action", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="one reporting month")
    run.add_argument("--period", required=True, help="reporting month YYYY-MM")
    run.add_argument(
        "--council",
        action="append",
        type=council_code,
        metavar="CODE",
        help="only this council: GSS code (E07000237) or short name (worcester); repeatable",
    )
    run.add_argument("--no-email", action="store_true", help="record results but send no email")
    run.add_argument("--returns-base-url", help="overrides COUNCILBENCH_RETURNS_BASE_URL")
    back = sub.add_parser("backfill", help="a range of reporting months, oldest first")
    back.add_argument("--from", dest="first", required=True, help="first month YYYY-MM")
    back.add_argument("--to", dest="last", required=True, help="last month YYYY-MM")
    back.add_argument(
        "--council",
        action="append",
        type=council_code,
        metavar="CODE",
        help="only this council: GSS code or short name; repeatable",
    )
    back.add_argument(
        "--email", action="store_true", help="also email councils about historical months (off by default)"
    )
    back.add_argument("--returns-base-url")
    back.add_argument(
        "--months-per-batch",
        type=int,
        default=12,
        metavar="N",
        help="months validated together in one Great Expectations run (default 12)",
    )
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    from councilbench.core.calendar import months_between
    from councilbench.returns.pipeline import backfill, run_month
    from councilbench.warehouse.connection import resolve

    wh = resolve()
    if args.returns_action == "run":
        print(
            json.dumps(
                run_month(
                    wh,
                    args.period,
                    councils=args.council,
                    returns_base_url=args.returns_base_url,
                    notify=not args.no_email,
                )
            )
        )
    else:
        backfill(
            wh,
            months_between(args.first, args.last),
            councils=args.council,
            returns_base_url=args.returns_base_url,
            notify=args.email,
            months_per_batch=args.months_per_batch,
            on_month=lambda summary: print(json.dumps(summary), flush=True),
        )
    return 0
