"""The `councilbench` command line: one front door for engineers and councils.

Each command is a thin wrapper over a library function; heavy imports happen inside
the command that needs them so `councilbench --help` answers instantly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap

from councilbench.core import settings

DESCRIPTION = textwrap.dedent(
    """\
    councilbench: monthly benchmarking for the 33 West Midlands councils.

    Airflow pulls each council's monthly return and public statistics, Great
    Expectations validates them, dbt builds a Postgres warehouse of comparable
    metrics. The warehouse is WAREHOUSE_URL when set, else the PostgreSQL server on
    127.0.0.1:5432, else an embedded PostgreSQL under the state folder (.state/).
    """
)

EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench db up                 create the database, schemas and roles (idempotent)
      councilbench db url                print the warehouse URL in use and how it was found
      councilbench dbt build             run dbt against the warehouse as the transformer role
      councilbench docs                  the dbt docs site as one page: <state>/dbt/docs/index.html
      councilbench airflow-env           print the Airflow environment as shell exports
      councilbench airflow               start Airflow locally: api-server, scheduler, dag-processor, triggerer
      councilbench airflow --executor celery --workers 2    ... with two Celery workers on Redis
      councilbench demo                  run the demo end to end
    """
)


def _warehouse():
    from councilbench.warehouse.connection import resolve

    return resolve()


def cmd_db(args) -> int:
    from councilbench.warehouse import bootstrap
    from councilbench.warehouse import connection as warehouse

    if args.action == "stop":
        print("stopped the embedded PostgreSQL" if warehouse.stop_embedded() else "no embedded PostgreSQL running")
        return 0
    wh = _warehouse()
    if args.action == "url":
        print(f"{wh.url}    ({wh.origin})")
        return 0
    result = bootstrap.up(wh)
    state = "created" if result["created"] else "already there"
    print(f"warehouse {result['database']} ({state}, found via {wh.origin}); schemas: {', '.join(result['schemas'])}")
    return 0


def cmd_dbt(args) -> int:
    from councilbench.warehouse.transform import run_dbt

    result = run_dbt(_warehouse(), args.dbt_args, raise_on_failure=False)
    return 0 if result.success else 1


def cmd_docs(args) -> int:
    from councilbench.warehouse.build import generate_docs

    page = generate_docs(_warehouse())["docs"]
    print(f"dbt docs: {page} (one page: open it in a browser from disk, or publish it as it is)")
    return 0


def cmd_airflow_env(args) -> int:
    import shlex

    from councilbench.orchestration.airflow_env import airflow_environ

    # Only the project's settings are printed, but on top of the caller's search paths:
    # eval'd in a shell, PATH and PYTHONPATH must extend what is there, never replace it.
    shell = {key: os.environ[key] for key in ("PATH", "PYTHONPATH") if key in os.environ}
    env = airflow_environ(_warehouse(), base=shell)
    for key, value in sorted(env.items()):
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_airflow(args) -> int:
    from councilbench.orchestration.airflow_env import airflow_environ, reset_metadata
    from councilbench.orchestration.services import run_foreground

    warehouse = _warehouse()
    if args.reset_metadata:
        name = reset_metadata(airflow_environ(warehouse, executor=args.executor))
        print(f"Airflow metadata database {name} dropped and migrated again (the warehouse is untouched)")
        return 0
    return run_foreground(warehouse, port=args.port, executor=args.executor, workers=args.workers)


#: The entry-point group through which other packages add commands: the development
#: tools (demo, bench, sample, mailcatcher) register there, so this production command
#: line never imports them (an import-linter contract keeps it so).
COMMAND_GROUP = "councilbench.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="councilbench",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = sub.add_parser("db", help="warehouse: create (up), show (url) or stop the embedded server (stop)")
    db.add_argument(
        "action",
        choices=["up", "url", "stop"],
        help="up: database, schemas (raw, ops, reference, staging, intermediate, marts) and roles; "
        "url: the warehouse in use; stop: stop the embedded PostgreSQL",
    )
    db.set_defaults(func=cmd_db)

    dbt = sub.add_parser(
        "dbt",
        help="run dbt against the warehouse as the transformer role",
        description="Any dbt arguments, e.g. `councilbench dbt build --select marts`.",
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments passed to dbt")
    dbt.set_defaults(func=cmd_dbt)

    docs = sub.add_parser(
        "docs",
        help="the dbt docs site of the warehouse, as one page that opens from disk",
        description="`dbt docs generate --static` as the transformer role: every model, column "
        "and test with its description, in <state>/dbt/docs/index.html (the "
        "warehouse_build DAG writes the same page after each build).",
    )
    docs.set_defaults(func=cmd_docs)

    env = sub.add_parser("airflow-env", help="print the project's Airflow environment as shell exports")
    env.set_defaults(func=cmd_airflow_env)

    af = sub.add_parser(
        "airflow",
        help="start Airflow locally (UI on http://127.0.0.1:PORT) and print its login",
        description="The api-server, scheduler, dag-processor and triggerer (and Celery workers "
        "with --executor celery), metadata in PostgreSQL; Ctrl-C stops them all.",
    )
    af.add_argument("--port", type=int, default=8080, help="api-server port (default 8080)")
    af.add_argument(
        "--executor",
        choices=["local", "celery"],
        default=settings.get("COUNCILBENCH_AIRFLOW_EXECUTOR"),
        help="LocalExecutor (one machine, default) or CeleryExecutor with Redis "
        "(COUNCILBENCH_CELERY_BROKER_URL, default redis://127.0.0.1:6379/0)",
    )
    af.add_argument("--workers", type=int, default=2, help="Celery workers to start on this machine (default 2)")
    af.add_argument(
        "--reset-metadata",
        action="store_true",
        help="drop Airflow's metadata database and migrate a new one, then exit",
    )
    af.set_defaults(func=cmd_airflow)

    from importlib.metadata import entry_points

    from councilbench.cli import (
        case_studies,
        explorer,
        export,
        gpg_match,
        neighbours,
        pay,
        pay_access,
        pay_report,
        reports,
        returns,
        spend,
        template,
        validate,
    )

    modules = (
        validate,
        template,
        returns,
        spend,
        pay,
        reports,
        explorer,
        export,
        pay_access,
        gpg_match,
        pay_report,
        case_studies,
        neighbours,
    )
    for module in modules:
        module.add_command(sub)
    for entry in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        entry.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    if not args.verbose:  # Airflow's logging setup (on import) turns INFO on for everyone
        logging.getLogger("councilbench").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line error for people; traceback with -v
        if args.verbose or settings.debug():
            raise
        print(f"councilbench {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
