"""Who reads the pay data, enforced by PostgreSQL: each role connects (SET ROLE, and real
logins with a password over TCP) and tries. The loader and transformer read the raw pay
rows; the analyst reads the suppressed marts and no pay row; a council reads its own
posts in the pay schema and the marts, zero rows of another council even asking for
them by code, and cannot lift row-level security, become another council or read raw,
ops, staging or intermediate; a person's login made a member of a council's role sees
that council's rows."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from councilbench.core import settings
from councilbench.warehouse import council_logins
from councilbench.warehouse.connection import connect
from pay_warehouse import Post, as_council, build_pay, deposit
from warehouse_copy import warehouse_copy

DUDLEY, SANDWELL = "E08000027", "E08000028"
POSTS = {
    DUDLEY: [
        Post("planning_officer", 34_100),
        Post("planning_officer", 35_900, headcount=2),
        Post("accountant", 41_000),
    ],
    SANDWELL: [Post("planning_officer", 33_000), Post("accountant", 40_500, fte="0.5"), Post("librarian", 25_000)],
    "E08000025": [Post("planning_officer", 36_000, headcount=2)],
    "E08000030": [Post("planning_officer", 32_500, headcount=3)],
    "E08000031": [Post("planning_officer", 34_800, headcount=3)],
}
ALL_POSTS = sum(len(posts) for posts in POSTS.values())
PAY_TABLES = ("pay.pay_council_posts", "pay.pay_council_roles")
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def built(reference_template):
    with warehouse_copy(reference_template, "pay_access") as warehouse:
        for code, posts in POSTS.items():
            deposit(warehouse, code, posts)
        build_pay(warehouse)
        yield warehouse


def count(conn, table: str, where: str = "true", params=()) -> int:
    return conn.execute(f"select count(*) from {table} where {where}", list(params)).fetchone()[0]


def refused(warehouse, statement: str, *, role: str | None = None, council: str | None = None) -> bool:
    """True when PostgreSQL refuses the statement for lack of privilege (each in a session
    of its own: a refusal aborts the transaction)."""
    session = as_council(warehouse, council) if council else connect(warehouse, role=role)
    with session as conn:
        try:
            conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            return True
    return False


def test_the_loader_and_the_transformer_read_the_raw_pay_rows(built):
    with connect(built, role="loader") as conn:
        assert count(conn, "raw.council_pay_posts") == ALL_POSTS
    with connect(built, role="transformer") as conn:
        assert count(conn, "raw.council_pay_posts") == ALL_POSTS
        assert count(conn, "pay.pay_council_posts") == ALL_POSTS  # the owner builds and tests it whole


def test_the_analyst_reads_the_suppressed_marts_and_no_pay_row(built):
    with connect(built, role="analyst") as conn:
        published = conn.execute(
            "select councils, median_salary from marts.mart_pay_benchmark"
            " where group_id = 'region' and role_id = 'planning_officer'"
        ).fetchone()
    assert published[0] == 5 and published[1] is not None
    for table in ("raw.council_pay_posts", *PAY_TABLES, "staging.stg_pay__council_pay_posts"):
        assert refused(built, f"select * from {table}", role="analyst"), table


def test_a_council_reads_its_own_posts_and_none_of_another_councils(built):
    for own, other in ((DUDLEY, SANDWELL), (SANDWELL, DUDLEY)):
        with as_council(built, own) as conn:
            assert count(conn, "pay.pay_council_posts") == len(POSTS[own])
            assert conn.execute("select distinct council_code from pay.pay_council_posts").fetchall() == [(own,)]
            assert count(conn, "pay.pay_council_posts", "council_code = %s", [other]) == 0
            assert count(conn, "pay.pay_council_posts", "council_code <> %s", [own]) == 0
            assert conn.execute("select distinct council_code from pay.pay_council_roles").fetchall() == [(own,)]
            assert count(conn, "pay.pay_council_roles", "lower(council_code) = lower(%s)", [other]) == 0
            assert count(conn, "marts.mart_pay_benchmark") > 0  # and the suppressed statistics
            assert count(conn, "marts.dim_council") == 33


def test_a_council_reads_nothing_of_raw_ops_reference_staging_or_intermediate(built):
    for table in (
        "raw.council_pay_posts",
        "ops.submissions",
        "reference.council_contacts",
        "staging.stg_pay__council_pay_posts",
        "intermediate.int_council__comparison_groups",
    ):
        assert refused(built, f"select * from {table}", council=DUDLEY), table
    assert refused(built, "insert into pay.pay_council_posts (council_code) values ('E08000027')", council=DUDLEY)
    assert refused(built, "delete from pay.pay_council_posts", council=DUDLEY)
    assert refused(built, "create table pay.mine (x int)", council=DUDLEY)
    assert refused(built, "create temporary table mine (x int)", council=DUDLEY)


def test_a_council_cannot_lift_row_security(built):
    """(That it cannot SET ROLE to another council is tested with its own login below: a
    session opened by the admin may set any role.)"""
    for statement in (
        "alter table pay.pay_council_posts disable row level security",
        "alter table pay.pay_council_posts owner to councilbench_council_e08000027",
        "drop policy council_reads_its_own_rows on pay.pay_council_posts",
        "create policy everything on pay.pay_council_posts for select using (true)",
    ):
        assert refused(built, statement, council=DUDLEY), statement
    with as_council(built, DUDLEY) as conn:
        conn.execute("set row_security = off")  # then a query that row security would filter fails
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("select * from pay.pay_council_posts")
    with connect(built) as conn:
        # the councils' group role is no council: it sees no row at all
        conn.execute(f'set role "{settings.COUNCIL_GROUP_ROLE}"')
        assert count(conn, "pay.pay_council_posts") == 0
    with as_council(built, DUDLEY) as conn:
        # the planner statistics of the table, which hold other councils' values, are hidden
        assert count(conn, "pg_stats", "schemaname = 'pay'") == 0
    with connect(built) as admin:
        assert count(admin, "pg_stats", "schemaname = 'pay'") > 0


def test_row_security_survives_a_full_refresh(built):
    build_pay(built, "--full-refresh")
    with connect(built) as admin:
        secured = admin.execute(
            """select c.relname, c.relrowsecurity, count(p.polname)
               from pg_class c left join pg_policy p on p.polrelid = c.oid
               where c.relnamespace = 'pay'::regnamespace and c.relkind = 'r'
               group by c.relname, c.relrowsecurity order by c.relname"""
        ).fetchall()
    assert secured == [("pay_council_posts", True, 1), ("pay_council_roles", True, 1)]
    with as_council(built, DUDLEY) as conn:
        assert count(conn, "pay.pay_council_posts") == len(POSTS[DUDLEY])


def cli(warehouse, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "WAREHOUSE_URL": warehouse.url,
        "COUNCILBENCH_STATE_DIR": os.environ["COUNCILBENCH_STATE_DIR"],
        **({"COUNCILBENCH_PAY_LOGIN_PASSWORD": password} if password else {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "councilbench.cli.main", "pay-login", *args],
        env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def login(warehouse, user: str, password: str):
    """A connection of the role's own, over TCP with its password: no admin, no SET ROLE."""
    parts = warehouse.parts
    return psycopg.connect(host=parts.host, port=parts.port, dbname=parts.database, user=user, password=password)


def test_pay_login_gives_a_councils_role_a_password_and_takes_it_back(built):
    role = settings.council_role(DUDLEY)
    printed = cli(built, "--council", "dudley", password=PASSWORD).stdout
    assert printed.startswith(f'ALTER ROLE "{role}" LOGIN PASSWORD \'SCRAM-SHA-256$4096:') and PASSWORD not in printed
    try:
        applied = cli(built, "--council", "dudley", "--apply", password=PASSWORD)
        assert PASSWORD not in applied.stdout + applied.stderr
        with connect(built) as admin:
            can_login, stored = admin.execute(
                "select rolcanlogin, rolpassword from pg_authid where rolname = %s", [role]
            ).fetchone()
        assert can_login
        salt = base64.b64decode(stored.split("$")[1].split(":")[1])
        assert stored == council_logins.scram_sha256_verifier(PASSWORD, salt=salt)  # the verifier of that password
        with login(built, role, PASSWORD) as conn:
            assert conn.execute("select current_user, session_user").fetchone() == (role, role)
            assert conn.execute("select distinct council_code from pay.pay_council_posts").fetchall() == [(DUDLEY,)]
        for statement in (
            "select * from raw.council_pay_posts",
            f'set role "{settings.council_role(SANDWELL)}"',  # it cannot become another council
            f'set role "{settings.TRANSFORMER_ROLE}"',
            f'set session authorization "{settings.council_role(SANDWELL)}"',
        ):
            with login(built, role, PASSWORD) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    finally:
        cli(built, "--council", "dudley", "--disable", "--apply")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        login(built, role, PASSWORD)


def test_a_persons_login_made_a_member_sees_that_councils_rows(built):
    person = f"councilbench_test_person_{uuid.uuid4().hex[:8]}"
    with connect(built, autocommit=True) as admin:
        admin.execute(
            psycopg.sql.SQL("create role {} login password {}").format(
                psycopg.sql.Identifier(person), council_logins.scram_sha256_verifier(PASSWORD)
            )
        )
    try:
        with pytest.raises(psycopg.OperationalError, match="CONNECT privilege"):  # not yet a member
            login(built, person, PASSWORD)
        cli(built, "--council", "sandwell", "--member", person, "--apply")
        with login(built, person, PASSWORD) as conn:
            assert conn.execute("select distinct council_code from pay.pay_council_posts").fetchall() == [(SANDWELL,)]
            assert count(conn, "pay.pay_council_posts", "council_code = %s", [DUDLEY]) == 0
        for statement in ("select * from raw.council_pay_posts", f'set role "{settings.council_role(DUDLEY)}"'):
            with login(built, person, PASSWORD) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    finally:
        with connect(built, autocommit=True) as admin:
            admin.execute(psycopg.sql.SQL("drop role {}").format(psycopg.sql.Identifier(person)))


def test_the_verifier_is_the_one_postgresql_computes(built):
    with connect(built) as conn:
        made_by_libpq = conn.pgconn.encrypt_password(PASSWORD.encode(), b"anyone", b"scram-sha-256").decode()
    iterations, salt = made_by_libpq.split("$")[1].split(":")
    assert council_logins.scram_sha256_verifier(PASSWORD, salt=base64.b64decode(salt), iterations=int(iterations)) == (
        made_by_libpq
    )
    for weak in ("short", "pässwörd-with-umlauts"):
        with pytest.raises(ValueError, match="password must be"):
            council_logins.login_statement(DUDLEY, weak)
