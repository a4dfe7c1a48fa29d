"""`councilbench bench` (what `make bench` runs): the scale figures beside their targets."""

from __future__ import annotations


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="benchmark: ten years of returns, each figure beside its target",
        description="Generates and loads ten years of monthly returns for all 33 councils into scratch "
        "databases on the resolved PostgreSQL server (dropped afterwards) and prints: one month "
        "end to end through Airflow, the ten-year backfill, COPY against pandas to_sql, dbt time "
        "to add a month on ten years against one year, each DAG file's parse time, each explorer "
        "page's time to first full render (headless Chromium), the open data export, a year of "
        "spend over £500 for the 33 councils pull -> marts and supplier resolution of 50,000 raw "
        "names with its precision and recall, and the pay statistics from the 33 councils' deposits (about "
        "200,000 posts). The "
        "figures are also written to <state>/bench/figures.json and figures.txt. Everything it runs (dbt, "
        "Airflow) keeps its state in <state>/bench/state, never in yours. Takes minutes.",
    )
    p.add_argument("--years", type=int, default=10, help="years of history (default 10)")
    p.add_argument(
        "--baseline-years",
        type=int,
        default=1,
        help="history of the comparison warehouse for the dbt ratio (default 1)",
    )
    p.add_argument("--keep-databases", action="store_true", help="keep the scratch databases to look at")
    p.add_argument(
        "--only",
        choices=["spend", "pay"],
        help="only these figures: spend = a year of spend over £500 pull -> marts and supplier resolution "
        "(a few minutes; written to <state>/bench/spend/); pay = the pay statistics from a pay year's "
        "deposits (about a minute; written to <state>/bench/pay/)",
    )
    p.add_argument(
        "--pay-scale",
        type=float,
        default=1.0,
        help="share of the pay deposits' posts to generate and load (default 1: about 200,000)",
    )
    p.add_argument(
        "--spend-scale",
        type=float,
        default=1.0,
        help="share of a year's spend lines to generate and load (default 1: about a million)",
    )
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    from councilbench.core import settings
    from councilbench.dev.bench.run import run_bench, run_spend_bench
    from councilbench.warehouse.connection import resolve

    def out(line: str) -> None:
        print(line, flush=True)

    if args.only == "spend":
        figures = run_spend_bench(resolve(), scale=args.spend_scale, keep=args.keep_databases, out=out)
        folder = settings.state_path("bench", "spend")
    elif args.only == "pay":
        from councilbench.dev.bench.pay import run_pay_bench

        figures = run_pay_bench(resolve(), scale=args.pay_scale, keep=args.keep_databases, out=out)
        folder = settings.state_path("bench", "pay")
    else:
        figures = run_bench(
            resolve(),
            years=args.years,
            baseline_years=args.baseline_years,
            keep=args.keep_databases,
            spend_scale=args.spend_scale,
            pay_scale=args.pay_scale,
            out=out,
        )
        folder = settings.state_path("bench")
    as_json, as_text = figures.write(folder)
    print()
    print(figures.text(), end="")
    print(f"\n  figures written to {as_json} and {as_text}")
    return 0
