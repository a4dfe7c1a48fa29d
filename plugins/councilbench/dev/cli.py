"""The development commands, added to `councilbench` through the `councilbench.commands`
entry point (pyproject.toml): demo, bench, sample, sample-spend, sample-pay and mailcatcher. Each imports what it
runs inside the command, so `councilbench --help` stays instant."""

from __future__ import annotations

import json


def cmd_demo(args) -> int:
    from councilbench.core import settings
    from councilbench.dev.demo import print_summary, run_demo
    from councilbench.warehouse.connection import resolve

    summary = run_demo(resolve())
    path = settings.state_path("demo") / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=str))
    print(f"  full summary: {path}")
    print_summary(summary)  # ends with the oracle's verdict
    return 1 if summary["oracle"]["differences"] else 0


def add_commands(subparsers) -> None:
    from councilbench.dev import mailcatcher, sample_cli
    from councilbench.dev.bench import cli as bench_cli

    demo = subparsers.add_parser("demo", help="run the demo end to end on the resolved warehouse")
    demo.set_defaults(func=cmd_demo)
    for module in (sample_cli, mailcatcher, bench_cli):
        module.add_command(subparsers)
    sample_cli.add_spend_command(subparsers)
    sample_cli.add_pay_command(subparsers)
