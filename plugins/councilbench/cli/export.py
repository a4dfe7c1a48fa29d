"""`councilbench export --out DIR`: the open data release (every mart the analyst role may
read as CSV, and datapackage.json describing them) into DIR, validated with frictionless
before it replaces what DIR held. Published with the annual report; the explorer's Open
data page offers the same files.

It reads the warehouse as the analyst role, in one consistent snapshot: through
WAREHOUSE_ANALYST_URL when set (the analyst's own login), else the resolved warehouse with
SET ROLE."""

from __future__ import annotations

import argparse
import json
import textwrap

EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench export --out release/            the CSVs and datapackage.json into release/
      councilbench export --out release/ --json     ... and print what was written as JSON
    """
)


def add_command(subparsers) -> None:
    """Register `councilbench export` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "export",
        help="the open data release: every mart as CSV plus datapackage.json, validated",
        description="Write every mart the analyst role may read as CSV, and a Frictionless data package "
        "(datapackage.json: each table's and column's description and type from the dbt docs), read in one "
        "snapshot as the analyst role, validated with frictionless, into DIR. Earlier files of the release "
        "in DIR are replaced; other files are left alone.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the release into (created if need be)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from councilbench.core import calendar
    from councilbench.reports import opendata
    from councilbench.warehouse.connection import resolve_as

    release = opendata.export(resolve_as("analyst"), args.out)
    if args.json:
        print(json.dumps({**vars(release), "folder": str(release.folder)}, indent=1))
        return 0
    as_at = f"data as at {calendar.month_label(release.as_at)}" if release.as_at else "no accepted return yet"
    print(f"open data release in {release.folder} ({as_at}; {release.seconds} s), valid:")
    print(f"  {opendata.DESCRIPTOR}")
    for r in release.resources:
        print(f"  {r['path']:<32} {r['rows']:>9,} rows {r['bytes']:>13,} bytes")
    return 0
