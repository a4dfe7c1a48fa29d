"""`councilbench case-studies check|build`: the good practice library's files
(case_studies/<id>.yml) checked against their schema, the registry and the catalogue, and
compiled into the dbt seeds the marts read. Imports happen inside the command so `--help`
stays instant."""

from __future__ import annotations

import argparse
import sys
import textwrap

EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench case-studies check    every file checked, and whether the committed seeds are up to date
      councilbench case-studies build    check, then write dbt_project/seeds/case_stud*.csv where they changed
    """
)


def add_command(subparsers) -> None:
    """Register `councilbench case-studies` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "case-studies",
        help="the good practice case studies: check the files, compile them into the dbt seeds",
        description="Case studies are reviewed files, one each, in case_studies/ (schema: case_studies/schema.json). "
        "check: say in plain words what is wrong with any file (naming the file and field), and whether the "
        "committed seeds are what the files compile to (exit 1 if not). build: the same checks, then write the "
        "seeds case_studies.csv, case_study_metrics.csv and case_study_outcomes.csv (nothing is written when a "
        "file is wrong). The warehouse loads the seeds with the other reference data.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=["check", "build"], help="check the files, or check and compile them")
    p.set_defaults(func=cmd_case_studies)


def cmd_case_studies(args) -> int:
    from councilbench.practice import checks, files, seeds

    if args.action == "build":
        try:
            built = seeds.build()
        except checks.CaseStudiesInvalid as exc:
            _print_problems(exc.problems)
            print("nothing written: correct the files and build again", file=sys.stderr)
            return 1
        counts = ", ".join(f"{name}.csv {n} rows" for name, n in built.seeds.items())
        changed = ", ".join(f"{name}.csv" for name in built.written) or "none (already up to date)"
        print(f"{built.case_studies} case studies compiled: {counts}; seeds written: {changed}")
        return 0
    studies, problems = checks.check_folder()
    if problems:
        _print_problems(problems)
        return 1
    stale = seeds.stale_seeds(studies)
    if stale:
        names = ", ".join(f"{name}.csv" for name in stale)
        print(
            f"the committed seeds are not what {files.FOLDER_NAME}/ compiles to ({names}): "
            "run `councilbench case-studies build` and commit them",
            file=sys.stderr,
        )
        return 1
    print(f"{len(studies)} case studies, all valid; the seeds are up to date")
    return 0


def _print_problems(problems) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
