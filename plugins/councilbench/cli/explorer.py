"""`councilbench explorer [--port 8501] [--host 127.0.0.1]`: the explorer web app
(dashboards on the marts, the self-check of a return file, open data) until Ctrl-C.

It reads the warehouse as the analyst role: through the analyst's own login when the
deployment gives one (WAREHOUSE_ANALYST_URL: the Docker service has only that one, never
the admin URL), else the resolved warehouse with SET ROLE (connection.resolve_as)."""

from __future__ import annotations

import argparse
import textwrap

EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench explorer                          http://127.0.0.1:8501, this machine only
      councilbench explorer --port 8502              another port
      councilbench explorer --host 0.0.0.0           every interface (a container publishing the port)
    """
)


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "explorer",
        help="the explorer web app on http://127.0.0.1:8501 (dashboards, self-check, open data)",
        description="Start the explorer (a Streamlit app) on the resolved warehouse, read as the analyst role: "
        "metric explorer, council profile, region, submissions, a self-check of a return file and open data "
        "downloads. Ctrl-C stops it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 in a container)",
    )
    p.set_defaults(func=cmd_explorer)


def cmd_explorer(args) -> int:
    from councilbench.explorer.server import run_foreground
    from councilbench.warehouse.connection import resolve_as

    return run_foreground(resolve_as("analyst"), port=args.port, host=args.host)
