"""The supplier matches a person should look at, as a CSV to work through.

Matches on a company or VAT number, an override, or the same name key are as good as
the data; a fuzzy match or a name cut at 35 characters is a judgement the resolver
made. The review lists those judgements (or every match), each with the spend and the
councils behind it, least certain first and then biggest first: what a wrong join would
move most. A person who disagrees adds a row to dbt_project/seeds/
supplier_match_overrides.csv (the published name, then the right supplier's id or
'distinct', then why) and runs `councilbench spend resolve`; the next warehouse build
carries it into the marts.
"""

from __future__ import annotations

import csv
from pathlib import Path

from councilbench.spend.kind import SOURCE_KIND
from councilbench.warehouse.connection import Warehouse, connect

#: The methods that are a judgement, not a fact of the data.
JUDGEMENTS = ("fuzzy", "truncated_prefix")

REVIEW_COLUMNS = (
    "raw_name", "canonical_id", "canonical_name", "method", "score", "company_number", "vat_number",
    "councils", "lines", "net_amount",
)  # fmt: skip

_REVIEW = f"""
    select m.raw_name, m.canonical_id, m.canonical_name, m.method, m.score,
           nullif(m.company_number, ''), nullif(m.vat_number, ''),
           string_agg(distinct l.council_code, '|' order by l.council_code), count(*), sum(l.net_amount)
    from raw.spend_supplier_matches as m
    join raw.council_spend_lines as l
      on l.supplier_name = m.raw_name and coalesce(l.company_number, '') = m.company_number
     and coalesce(l.vat_registration, '') = m.vat_number and not l.redacted
    join ops.submissions as s on s.submission_id = l.submission_id
    where s.source_kind = '{SOURCE_KIND}' and s.status = 'loaded' and (%(all)s or m.method = any(%(methods)s))
    group by m.raw_name, m.canonical_id, m.canonical_name, m.method, m.score, m.company_number, m.vat_number
    order by m.score asc nulls last, sum(l.net_amount) desc, m.raw_name
"""


def matches_to_review(warehouse: Warehouse, *, everything: bool = False) -> list[dict]:
    """The fuzzy and truncated matches of loaded lines (or every match), least certain
    and biggest first, each with its councils, lines and net spend."""
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(_REVIEW, {"all": everything, "methods": list(JUDGEMENTS)}).fetchall()
    return [dict(zip(REVIEW_COLUMNS, row, strict=True)) for row in rows]


def write_review(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=REVIEW_COLUMNS)
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return path
