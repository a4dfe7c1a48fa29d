"""`councilbench gpg-match`: the registry's gender pay gap EmployerIds against a downloaded
file, and the employers named like each council, for a person to confirm.

The loader matches by EmployerId only; this is how an id gets into the registry in the
first place (dbt_project/seeds/council_registry.csv, column gpg_employer_id): names
propose, a person decides."""

from __future__ import annotations

import argparse
import textwrap

EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench gpg-match --file "UK Gender Pay Gap Data - 2024 to 2025.csv"
            the councils whose registry id is blank, not in the file or another employer's,
            with the employers named like them, and the registry values to confirm
      councilbench gpg-match --file download.csv --all      every council, matched ones too
    """
)


def add_command(subparsers) -> None:
    cmd = subparsers.add_parser(
        "gpg-match",
        help="check the registry's gender pay gap EmployerIds against a download; propose ids by name",
        description="Read a GOV.UK gender pay gap download (gender-pay-gap.service.gov.uk/viewing/download) and "
        "say, for each council, whether its registry gpg_employer_id is in the file and named like the council, "
        "and which employers in the file are named like it. Nothing is changed: confirm a proposal, then edit "
        "gpg_employer_id in dbt_project/seeds/council_registry.csv.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--file", required=True, metavar="CSV", help="the downloaded CSV (one reporting year)")
    cmd.add_argument("--all", action="store_true", help="list matched councils too")
    cmd.set_defaults(func=cmd_gpg_match)


def cmd_gpg_match(args) -> int:
    from councilbench.core.catalogue import councils
    from councilbench.public.gender_pay_gap import read_file
    from councilbench.public.gender_pay_gap_match import candidates, match_councils

    file = read_file(args.file)
    if "EmployerId" not in file.header or "EmployerName" not in file.header:
        raise ValueError(f"{args.file}: no EmployerId and EmployerName columns; is it the GOV.UK download?")
    registry = councils()
    matches = match_councils(file.rows, registry)
    found = {c.council.code: c for c in candidates(file.rows, registry)}
    proposals = []
    for m in matches:
        if m.matched and not args.all:
            continue
        print(f"{m.council.code} {m.council.name}: " + ("matched, " + m.employer_id if m.matched else m.reason))
        for kind, rows in (("same name", found[m.council.code].exact), ("partly", found[m.council.code].partial)):
            for row in rows:
                print(f"    {kind}: EmployerId {row.get('EmployerId')}  {_names(row)}")
        exact = found[m.council.code].exact
        if not m.matched and len(exact) == 1:
            proposals.append(f"{m.council.code},{exact[0].get('EmployerId')}  # {_names(exact[0])}")
    matched = sum(m.matched for m in matches)
    print(f"\n{matched} of {len(matches)} councils matched by the registry's EmployerId in {file_name(args.file)}")
    if proposals:
        print(
            "\ngss_code,gpg_employer_id to confirm (one employer of the same name), then put in council_registry.csv:"
        )
        print("\n".join(proposals))
    return 0


def _names(row: dict) -> str:
    name, current = row.get("EmployerName") or "", row.get("CurrentName") or ""
    return name if current in ("", name) else f"{name} (now {current})"


def file_name(path: str) -> str:
    return str(path).rsplit("/", 1)[-1]
