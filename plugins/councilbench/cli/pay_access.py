"""`councilbench pay-login --council X`: let a council read its own pay data.

`db up` creates a NOLOGIN role per council; this gives it LOGIN and a password (from
COUNCILBENCH_PAY_LOGIN_PASSWORD, else asked twice at the terminal: never on the command
line, where shell history and `ps` would keep it), or makes a person's existing login a
member of it (--member), or takes the login away again (--disable). It prints the
statement (the password only as its SCRAM-SHA-256 verifier) for a DBA to run, or runs it
with the admin connection (--apply)."""

from __future__ import annotations

import argparse
import getpass
import sys
import textwrap

EPILOG = textwrap.dedent(
    """\
    examples:
      councilbench pay-login --council dudley                    print ALTER ROLE ... LOGIN PASSWORD (asks for it)
      COUNCILBENCH_PAY_LOGIN_PASSWORD=... councilbench pay-login --council dudley --apply
      councilbench pay-login --council dudley --member alice --apply   alice reads Dudley's pay posts
      councilbench pay-login --council dudley --disable --apply        no login for Dudley's role again
    """
)


def add_command(subparsers) -> None:
    """Register `councilbench pay-login` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "pay-login",
        help="give a council's pay role a login and password (or a person's login membership)",
        description="A council's role (councilbench_council_<gss code>, created NOLOGIN by `db up`) reads, "
        "through row-level security, that council's own posts in the pay schema and the marts, and nothing "
        "of any other council. This prints, or with --apply runs, the statement that lets people in.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--council", required=True, help="the council: GSS code, short name or name")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--member", metavar="LOGIN", help="make this existing login a member of the council's role")
    action.add_argument("--disable", action="store_true", help="NOLOGIN and no password, as `db up` created it")
    p.add_argument("--apply", action="store_true", help="run the statement on the warehouse (admin connection)")
    p.set_defaults(func=cmd_pay_login)


def _password() -> str:
    from councilbench.core import settings

    given = settings.pay_login_password()
    if given:
        return given
    if not sys.stdin.isatty():
        raise ValueError("set COUNCILBENCH_PAY_LOGIN_PASSWORD, or run this in a terminal to be asked")
    first = getpass.getpass("password for the council's login: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def cmd_pay_login(args) -> int:
    from councilbench.core import catalogue, settings
    from councilbench.warehouse import council_logins
    from councilbench.warehouse.connection import resolve

    council = catalogue.find_council(args.council)
    role = settings.council_role(council.code)
    if args.member:
        statement = council_logins.member_statement(council.code, args.member)
        done = f"{args.member} is now a member of {role} ({council.name})"
    elif args.disable:
        statement = council_logins.disable_statement(council.code)
        done = f"{role} ({council.name}) can no longer log in"
    else:
        statement = council_logins.login_statement(council.code, _password())
        done = f"{role} ({council.name}) may now log in with the password given"
    if not args.apply:
        print(f"{statement.as_string()};")
        return 0
    warehouse = resolve()
    council_logins.apply(warehouse, council.code, statement)
    print(f"{done}, to database {warehouse.database}: it reads its own posts in pay.pay_council_posts and")
    print("pay.pay_council_roles (row-level security) and the marts, and nothing of any other council.")
    return 0
