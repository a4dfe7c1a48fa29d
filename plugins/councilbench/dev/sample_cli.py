"""`councilbench sample` and `councilbench sample-spend`: sample returns and spend files
for the demo, tests and benchmarks. Imports happen inside the commands so `councilbench
--help` stays instant."""

from __future__ import annotations

import argparse
import textwrap

SAMPLE_EPILOG = textwrap.dedent(
    """\
    Files go to OUT/<short_name>/<YYYY-MM>.csv, the layout of the member registry's
    return_source ({returns_base_url}/<short_name>/{period}.csv): serve OUT over HTTP
    and every council has its return at its URL. A faulted file keeps the .csv name
    whatever it holds (an Excel workbook, a PNG, a web page), as a council's address would.

    examples:
      councilbench sample --months 2026-01:2026-10 --out /tmp/returns
      councilbench sample --months 2026-10 --out /tmp/returns --council dudley --council E07000222
      councilbench sample --months 2026-09:2026-10 --out /tmp/returns --fault dudley:semicolon_delimiter \\
          --fault E08000025:bom --fault walsall:month_on_month_jump
      councilbench sample --months 2016-04:2026-03 --out /tmp/history     (10 years, ~4,000 files)
      councilbench sample --list-faults
    """
)


def _fault_arg(text: str) -> tuple[str, str]:
    council, sep, fault = text.partition(":")
    if not sep or not council or not fault:
        raise argparse.ArgumentTypeError(f"expected COUNCIL:FAULT (e.g. dudley:bom), got {text!r}")
    return council.strip(), fault.strip()


def add_command(subparsers) -> None:
    sample = subparsers.add_parser(
        "sample",
        help="write realistic sample council returns (any months, optional faults)",
        description="Write realistic monthly returns for the 33 councils: tier-aware metrics and periods, "
        "plausible sizes, trends, seasons and noise, deterministic for a seed. --fault injects a "
        "named mistake into a council's return for the last month given.",
        epilog=SAMPLE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sample.add_argument(
        "--months", metavar="MONTHS", help="YYYY-MM, a range FIRST:LAST (2026-01:2026-10) or a comma-separated list"
    )
    sample.add_argument("--out", metavar="DIR", help="folder to write into (created if needed)")
    sample.add_argument(
        "--council",
        action="append",
        metavar="CODE",
        help="only this council: GSS code or short name (repeatable; default all 33)",
    )
    sample.add_argument(
        "--fault",
        action="append",
        type=_fault_arg,
        metavar="COUNCIL:FAULT",
        default=[],
        help="inject a fault into COUNCIL's last-month return, e.g. dudley:bom (repeatable; "
        "see --list-faults); with --council, COUNCIL is added to the councils written",
    )
    sample.add_argument(
        "--seed", type=int, default=0, help="random seed: the same seed gives identical files (default 0)"
    )
    sample.add_argument(
        "--list-faults", action="store_true", help="list the named faults and what the validator should do"
    )
    sample.set_defaults(func=cmd_sample)


def _fault_table() -> str:
    from councilbench.dev.sample_returns import FAULTS

    width = max(len(n) for n in FAULTS)
    lines = [f"{'fault'.ljust(width)}  {'outcome':9}  {'caught by':28}  what it is"]
    for f in FAULTS.values():
        lines.append(f"{f.name.ljust(width)}  {f.outcome:9}  {', '.join(f.checks) or '-':28}  {f.description}")
    return "\n".join(lines)


def cmd_sample(args) -> int:
    import time
    from pathlib import Path

    from councilbench.core import catalogue
    from councilbench.dev.sample_returns import (
        FAULTS,
        parse_months,
        resolve_council,
        write_returns,
    )

    if args.list_faults:
        print(_fault_table())
        return 0
    if not args.months or not args.out:
        raise ValueError("--months and --out are required (or use --list-faults)")
    months = parse_months(args.months)
    councils = [resolve_council(c) for c in args.council] if args.council else None
    faults: dict[str, list[str]] = {}
    for council, fault in args.fault:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        faults.setdefault(resolve_council(council), []).append(fault)
    if councils:
        for code in faults:
            if code not in councils:
                councils.append(code)
    started = time.monotonic()
    out = Path(args.out)
    written = write_returns(out, months, councils=councils, seed=args.seed, faults=faults)
    seconds = time.monotonic() - started
    n_councils = len({p.parent.name for p in written})
    if len(written) <= 40:
        for p in written:
            print(p)
    last = max(months)
    for code, names in faults.items():
        council = catalogue.councils()[code]
        outcome = ", ".join(f"{n} ({FAULTS[n].outcome})" for n in names)
        print(f"fault: {out / council.short_name / (last + '.csv')}: {outcome}")
    span = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
    print(
        f"wrote {len(written)} return{'s' if len(written) != 1 else ''} for {n_councils} "
        f"council{'s' if n_councils != 1 else ''}, {span} ({len(months)} month{'s' if len(months) != 1 else ''}), "
        f"seed {args.seed}, to {out} in {seconds:.1f} s"
    )
    return 0


# --- councilbench sample-spend ------------------------------------------------------------------

SPEND_EPILOG = textwrap.dedent(
    """\
    Files go to OUT/<short_name>/spend-<YYYY-MM>.csv (spend-<YYYY>-Q<n> for a council that
    publishes quarterly; .xlsx for the county workbook layout), what a registry spend_source
    template such as {spend_base_url}/<short_name>/spend-{period}.csv serves; the truth of
    every line (supplier, ProClass code, whether its expense type says it, redaction) goes
    to OUT/spend-truth.csv. A fault applies to the council's last period written.

    examples:
      councilbench sample-spend --months 2025-04:2026-03 --out /tmp/spend             (a year, ~1m lines)
      councilbench sample-spend --months 2026-02 --out /tmp/spend --council dudley --scale 0.05
      councilbench sample-spend --months 2026-01:2026-02 --out /tmp/spend --fault dudley:html_page
      councilbench sample-spend --list-faults
    """
)


def add_spend_command(subparsers) -> None:
    spend = subparsers.add_parser(
        "sample-spend",
        help="write realistic sample 'spend over £500' files (any months, optional faults)",
        description="Write realistic payments-over-£500 files for the 33 councils in six real layouts, monthly "
        "or quarterly, with redactions, credit notes, split transactions and the other habits real files "
        "have, and the truth behind every line; deterministic for a seed.",
        epilog=SPEND_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    spend.add_argument("--months", metavar="MONTHS", help="YYYY-MM, a range FIRST:LAST or a comma-separated list")
    spend.add_argument("--out", metavar="DIR", help="folder to write into (created if needed)")
    spend.add_argument(
        "--council", action="append", metavar="CODE", help="only this council: GSS code or short name (repeatable)"
    )
    spend.add_argument(
        "--fault",
        action="append",
        type=_fault_arg,
        metavar="COUNCIL:FAULT",
        default=[],
        help="inject a fault into COUNCIL's last period, e.g. dudley:html_page (repeatable; see --list-faults)",
    )
    spend.add_argument("--scale", type=float, default=1.0, help="share of the lines to write (default 1.0)")
    spend.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's own)")
    spend.add_argument("--list-faults", action="store_true", help="list the named faults and what should catch them")
    spend.set_defaults(func=cmd_sample_spend)


def _spend_fault_table() -> str:
    from councilbench.dev.sample_spend import FAULTS

    width = max(len(n) for n in FAULTS)
    lines = [f"{'fault'.ljust(width)}  {'outcome':9}  {'caught by':24}  what it is"]
    for f in FAULTS.values():
        lines.append(
            f"{f.name.ljust(width)}  {f.outcome:9}  {f.caught_by + ': ' + ', '.join(f.checks):24}  {f.description}"
        )
    return "\n".join(lines)


def _council_totals(sample) -> list[str]:
    """One line per council: files, lines, net spend, what is unclassifiable or redacted."""
    from councilbench.core import catalogue

    rows = [f"  {'council':24} {'files':>5} {'lines':>9} {'net spend':>16} {'unclassifiable':>14} {'redacted':>8}"]
    by_council: dict[str, list] = {}
    for f in sample.files:
        by_council.setdefault(f.council_code, []).append(f)
    for code, files in by_council.items():
        lines = [x for f in files for x in f.lines]
        net = sum(x.net_pence for x in lines)
        generic = sum(x.net_pence for x in lines if not x.classifiable)
        share = f"{generic / net:.1%}" if net else "-"
        rows.append(
            f"  {catalogue.councils()[code].short_name:24} {len(files):>5} {len(lines):>9,} "
            f"{'£' + format(net / 100, ',.0f'):>16} {share:>14} {sum(x.redacted for x in lines):>8,}"
        )
    return rows


def cmd_sample_spend(args) -> int:
    import time
    from pathlib import Path

    from councilbench.dev import sample_spend
    from councilbench.dev.sample_returns import parse_months, resolve_council

    if args.list_faults:
        print(_spend_fault_table())
        return 0
    if not args.months or not args.out:
        raise ValueError("--months and --out are required (or use --list-faults)")
    if not 0 < args.scale <= 10:
        raise ValueError(f"--scale must be above 0 and at most 10, got {args.scale}")
    months = parse_months(args.months)
    councils = [resolve_council(c) for c in args.council] if args.council else None
    faults: dict[str, list[str]] = {}
    for council, fault in args.fault:
        if fault not in sample_spend.FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sample_spend.FAULTS)}")
        faults.setdefault(resolve_council(council), []).append(fault)
    if councils:
        councils += [code for code in faults if code not in councils]
    seed = sample_spend.SEED if args.seed is None else args.seed
    started, out = time.monotonic(), Path(args.out)
    sample = sample_spend.write(out, months, councils, seed=seed, faults=faults, scale=args.scale)
    truth = sample.write_truth(out / "spend-truth.csv")
    seconds = time.monotonic() - started
    if len(sample.files) <= 40:
        for f in sample.files:
            print(f"{f.path}  {len(f.lines):,} lines")
    print("\n".join(_council_totals(sample)))
    for f in sample.files:
        if f.faults:
            outcome = ", ".join(f"{n} ({sample_spend.FAULTS[n].outcome})" for n in f.faults)
            print(f"fault: {f.path}: {outcome}")
    n_councils = len({f.council_code for f in sample.files})
    print(
        f"wrote {len(sample.files)} spend file{'s' if len(sample.files) != 1 else ''} for {n_councils} "
        f"council{'s' if n_councils != 1 else ''}, {sample.line_count:,} lines, {months[0]}..{months[-1]}, "
        f"seed {seed}, scale {args.scale:g}, to {out} in {seconds:.1f} s; truth: {truth}"
    )
    return 0


# --- councilbench sample-pay --------------------------------------------------------------------

PAY_EPILOG = textwrap.dedent(
    """\
    Files go to OUT/<short_name>/pay-<YYYY-YY>.csv, what the registry's pay_source template
    ({pay_base_url}/<short_name>/pay-{period}.csv) serves: serve OUT over HTTP and every
    council has its deposit at its address. The truth of every post (its role, SCP, salary
    and the faults that changed its row) goes to OUT/pay-truth-<YYYY-YY>.csv.

    examples:
      councilbench sample-pay --year 2025-26 --out /tmp/pay                     (~200,000 posts)
      councilbench sample-pay --year 2025-26 --out /tmp/pay --council dudley --scale 0.05
      councilbench sample-pay --year 2025-26 --out /tmp/pay --fault dudley:hourly_rates \\
          --fault walsall:employee_names
      councilbench sample-pay --list-faults
    """
)


def add_pay_command(subparsers) -> None:
    pay = subparsers.add_parser(
        "sample-pay",
        help="write realistic sample pay deposits (one pay year, optional faults)",
        description="Write realistic pay deposits for the 33 councils: posts in catalogue roles with the "
        "councils' own job titles and grades, salaries on the NJC spine of the pay year, part-time and "
        "multi-incumbent posts, allowances and market supplements, and the truth behind every post; "
        "deterministic for a seed.",
        epilog=PAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pay.add_argument("--year", metavar="YYYY-YY", help="the NJC pay year, e.g. 2025-26")
    pay.add_argument("--out", metavar="DIR", help="folder to write into (created if needed)")
    pay.add_argument(
        "--council", action="append", metavar="CODE", help="only this council: GSS code or short name (repeatable)"
    )
    pay.add_argument(
        "--fault",
        action="append",
        type=_fault_arg,
        metavar="COUNCIL:FAULT",
        default=[],
        help="inject a fault into COUNCIL's deposit, e.g. dudley:hourly_rates (repeatable; see --list-faults)",
    )
    pay.add_argument("--scale", type=float, default=1.0, help="share of the posts to write (default 1.0)")
    pay.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's own)")
    pay.add_argument("--list-faults", action="store_true", help="list the named faults and what should catch them")
    pay.set_defaults(func=cmd_sample_pay)


def _pay_fault_table() -> str:
    from councilbench.dev.sample_pay import FAULTS

    width = max(len(n) for n in FAULTS)
    lines = [f"{'fault'.ljust(width)}  {'outcome':9}  {'check':18}  what it is"]
    for f in FAULTS.values():
        lines.append(f"{f.name.ljust(width)}  {f.outcome:9}  {', '.join(f.checks):18}  {f.description}")
    return "\n".join(lines)


def cmd_sample_pay(args) -> int:
    import time
    from pathlib import Path

    from councilbench.dev import sample_pay
    from councilbench.dev.sample_returns import resolve_council

    if args.list_faults:
        print(_pay_fault_table())
        return 0
    if not args.year or not args.out:
        raise ValueError("--year and --out are required (or use --list-faults)")
    if not 0 < args.scale <= 10:
        raise ValueError(f"--scale must be above 0 and at most 10, got {args.scale}")
    councils = [resolve_council(c) for c in args.council] if args.council else None
    faults: dict[str, list[str]] = {}
    for council, fault in args.fault:
        if fault not in sample_pay.FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sample_pay.FAULTS)}")
        faults.setdefault(resolve_council(council), []).append(fault)
    if councils:
        councils += [code for code in faults if code not in councils]
    seed = sample_pay.SEED if args.seed is None else args.seed
    started, out = time.monotonic(), Path(args.out)
    sample = sample_pay.write(out, args.year, councils, seed=seed, faults=faults, scale=args.scale)
    truth = sample.write_truth(out / f"pay-truth-{args.year}.csv")
    seconds = time.monotonic() - started
    for f in sample.files if len(sample.files) <= 40 else ():
        print(f"{f.path}  {len(f.posts):,} posts, {f.incumbents:,} incumbents")
    for f in sample.files:
        if f.faults:
            print(f"fault: {f.path}: {', '.join(f'{n} ({sample_pay.FAULTS[n].outcome})' for n in f.faults)}")
    print(
        f"wrote {len(sample.files)} pay deposit{'s' if len(sample.files) != 1 else ''} for {args.year}, "
        f"{sample.post_count:,} posts, {sample.incumbents:,} incumbents, seed {seed}, scale {args.scale:g}, "
        f"to {out} in {seconds:.1f} s; truth: {truth}"
    )
    return 0
