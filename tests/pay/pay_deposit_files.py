"""Small pay deposits written by hand for the council_pay tests: good posts built from the
role catalogue and the pay year's spine, written where the registry's pay_source looks
({pay_base_url}/<short_name>/pay-<pay year>.csv) under a folder the test server serves."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from councilbench.core import catalogue
from councilbench.pay.catalogue import roles, spine
from councilbench.pay.columns import CANONICAL_COLUMNS

#: Roles every good deposit holds (ids of dbt_project/seeds/pay_roles.csv).
ROLES = ("planning_officer", "school_cook", "refuse_loader", "childrens_social_worker")


def good_posts(council: str, pay_year: str, count: int = len(ROLES)) -> list[dict]:
    """`count` posts, one per role, each paid a point inside its role's typical SCP range."""
    council_code = catalogue.find_council(council).code
    points = spine(pay_year)
    out = []
    for i in range(count):
        role = roles()[ROLES[i % len(ROLES)]]
        low = max(role.typical_scp_min, min(points))
        out.append(
            {
                "council_code": council_code,
                "pay_year": pay_year,
                "post_id": f"POST-{i + 1:04d}",
                "job_title": role.synonyms[0] if role.synonyms else role.role_name,
                "role_id": role.role_id,
                "grade": f"G{i + 3}",
                "scp_min": low,
                "scp_max": role.typical_scp_max,
                "fte_salary": f"{points[low]:.2f}",
                "fte": "1" if i % 2 == 0 else "0.6",
                "headcount": i + 1,
                "allowances": "",
                "market_supplement": "1500" if i == 0 else "",
                "contract_type": "permanent",
            }
        )
    return out


def as_csv(posts: list[dict], extra: dict[str, list[str]] | None = None) -> str:
    """The posts as a deposit CSV (the template's columns), with extra columns at the end."""
    extra = extra or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CANONICAL_COLUMNS, *extra])
    for i, post in enumerate(posts):
        writer.writerow([post.get(c, "") for c in CANONICAL_COLUMNS] + [values[i] for values in extra.values()])
    return out.getvalue()


def write(folder: Path, council: str, pay_year: str, content: str | bytes) -> Path:
    path = folder / catalogue.find_council(council).short_name / f"pay-{pay_year}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def totals(posts: list[dict]) -> tuple[int, Decimal]:
    """(posts, the sum of their FTE salaries), as loaded."""
    return len(posts), sum((Decimal(p["fte_salary"]) for p in posts), Decimal(0))
