"""Pay deposits written by hand for the access and statistics tests: an ops.submissions row
(source_kind 'council_pay') and its raw.council_pay_posts rows, written as the loader
would leave them after an accepted deposit, in a warehouse of the test module's own
(tests/warehouse_copy.py: the statistics read every council's loaded posts, so other
modules' deposits would change the answers); and the pay models built by dbt as the
transformer."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from councilbench.core import settings
from councilbench.warehouse.connection import Warehouse, connect
from councilbench.warehouse.transform import DbtResult, run_dbt

PAY_YEAR = "2025-26"
#: The pay models, their tests and what they read (not the returns' marts).
PAY_MODELS = ["build", "--select", "+path:models/marts/pay", "+path:models/pay", "--indirect-selection", "cautious"]


@dataclass(frozen=True)
class Post:
    role_id: str
    fte_salary: Decimal | int | str
    headcount: int = 1
    fte: Decimal | str = "1"


def deposit(warehouse: Warehouse, council_code: str, posts: list[Post], *, pay_year: str = PAY_YEAR) -> int:
    """An accepted deposit, as the loader: the council's earlier loaded deposit for the
    year is superseded (as the ledger does) and this one's posts count. Its submission id."""
    fetched = datetime.now(UTC)
    sha = hashlib.sha256(f"{council_code}{pay_year}{posts}{fetched}".encode()).hexdigest()
    with connect(warehouse, role="loader") as conn, conn.transaction():
        conn.execute(
            """update ops.submissions set status = 'superseded', status_changed_at = now()
               where source_kind = 'council_pay' and subject = %s and period = %s and status = 'loaded'""",
            [council_code, pay_year],
        )
        (submission_id,) = conn.execute(
            """insert into ops.submissions (source_kind, subject, period, source_uri, fetched_at, sha256,
                                            size_bytes, media_type, original_name, landing_path, status,
                                            outcome, rows_loaded)
               values ('council_pay', %s, %s, %s, %s, %s, %s, 'text/csv', %s, %s, 'loaded', 'pass', %s)
               returning submission_id""",
            [council_code, pay_year, f"test-data://pay/{council_code}/pay-{pay_year}.csv", fetched, sha,
             100 + 80 * len(posts), f"pay-{pay_year}.csv", f"test-data://{sha}", len(posts)],
        ).fetchone()  # fmt: skip
        with conn.cursor().copy(
            "copy raw.council_pay_posts (submission_id, row_number, council_code, pay_year, post_id, job_title,"
            " role_id, grade, scp_min, scp_max, fte_salary, fte, headcount, contract_type) from stdin"
        ) as copy:
            for i, post in enumerate(posts):
                copy.write_row(
                    [submission_id, i + 2, council_code, pay_year, f"P{i + 1:04d}", post.role_id.replace("_", " "),
                     post.role_id, "Grade 7", 20, 25, post.fte_salary, post.fte, post.headcount, "permanent"]
                )  # fmt: skip
    return submission_id


def build_pay(warehouse: Warehouse, *extra: str) -> DbtResult:
    """dbt build of the pay models and their tests, as the transformer (raises on a failure)."""
    return run_dbt(warehouse, [*PAY_MODELS, *extra])


@contextlib.contextmanager
def as_council(warehouse: Warehouse, council_code: str):
    """A session acting as one council's role (SET ROLE, as a member login would be)."""
    with connect(warehouse) as conn:
        conn.execute(f'set role "{settings.council_role(council_code)}"')
        yield conn
