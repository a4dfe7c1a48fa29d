"""The step after loading spend: what the loaded lines mean, written as data for the marts.

- Every distinct supplier (name, company number, VAT number as published) of the loaded
  lines is resolved to a canonical supplier (suppliers.py, with the overrides seed) into
  raw.spend_supplier_matches.
- Every distinct (council, expense type, expense code) is categorised (categories.py, with
  its seeds) into raw.spend_line_categories.

Both tables are rewritten whole in ONE transaction, so the marts never see the suppliers
of one run with the categories of another, and a rerun writes the same rows (idempotent).
Resolution is over the whole region at once, never per council: a supplier is shared
only if the councils' spellings land in one cluster.

Only lines of loaded submissions count (superseded and rejected ones are history), as in
the marts. Keys are the values as published with blanks as '' (ddl.py says why); the
resolver tidies spaces and number formats itself, so each published spelling maps to
the cluster its tidied form went to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from councilbench.spend import categories, suppliers
from councilbench.spend.kind import SOURCE_KIND
from councilbench.spend.names import company_number, vat_number
from councilbench.warehouse.connection import Warehouse, connect

_LOADED = f"""
    from raw.council_spend_lines as l
    join ops.submissions as s using (submission_id)
    where s.source_kind = '{SOURCE_KIND}' and s.status = 'loaded'
"""

_SUPPLIERS = f"""
    select distinct coalesce(l.supplier_name, ''), coalesce(l.company_number, ''),
                    coalesce(l.vat_registration, ''), l.council_code
    {_LOADED} and not l.redacted
"""

_EXPENSES = f"""
    select distinct l.council_code, coalesce(l.expense_type, '') as expense_type,
                    coalesce(l.expense_code, '') as expense_code
    {_LOADED}
"""

MATCH_COLUMNS = ("raw_name", "company_number", "vat_number", "canonical_id", "canonical_name", "method", "score")
CATEGORY_COLUMNS = ("council_code", "expense_type", "expense_code", "proclass_code", "method", "matched")


@dataclass(frozen=True)
class ResolveSummary:
    """What a run wrote, and how long each part took (seconds)."""

    suppliers: int  # distinct published suppliers
    canonical_suppliers: int
    unmatched: int  # published suppliers with no canonical id (no usable name or number)
    expense_keys: int  # distinct (council, expense type, expense code)
    unclassified_keys: int
    read_seconds: float
    resolve_seconds: float
    categorise_seconds: float
    write_seconds: float


def supplier_matches(published: list[tuple[str, str, str, str]], overrides: dict[str, str]) -> list[tuple]:
    """One match row (MATCH_COLUMNS) per distinct published (name, company, VAT), from
    (name, company, VAT, council) tuples."""
    records = [suppliers.SupplierRecord(n, ch or None, vat or None, council) for n, ch, vat, council in published]
    table = {(r.raw_name, r.company_number, r.vat_number): r for r in suppliers.resolve(records, overrides)}
    rows = {}
    for name, ch, vat, _ in published:
        if (name, ch, vat) in rows:
            continue
        # resolve() keys its rows on the tidied record, as _distinct does
        row = table[(" ".join(name.split()), company_number(ch), vat_number(vat))]
        rows[name, ch, vat] = (name, ch, vat, row.canonical_id, row.canonical_name, row.method, row.score)
    return list(rows.values())


def line_categories(expenses: pd.DataFrame) -> list[tuple]:
    """One category row (CATEGORY_COLUMNS) per distinct (council, expense type, code)."""
    if expenses.empty:
        return []
    found = categories.categorise_frame(expenses)
    return [
        (c, t, e, code if isinstance(code, str) else None, method, matched)
        for c, t, e, code, method, matched in found[
            ["council_code", "expense_type", "expense_code", "proclass_code", "category_method", "category_matched"]
        ].itertuples(index=False)
    ]


def _replace(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    conn.execute(f"delete from raw.{table}")
    with conn.cursor().copy(f"copy raw.{table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def run(warehouse: Warehouse, overrides: dict[str, str] | None = None) -> ResolveSummary:
    """Resolve and categorise every loaded spend line's supplier and expense; replace both
    tables in one transaction. overrides: raw name -> canonical id (default: the seed)."""
    overrides = suppliers.load_overrides() if overrides is None else overrides
    started = time.perf_counter()
    with connect(warehouse, role="loader") as conn:
        # Two runs at once (a retry beside a manual run) would each delete, then both
        # insert: one waits for the other instead, and then reads what it loaded.
        conn.execute("select pg_advisory_xact_lock(hashtext('councilbench spend resolve'))")
        published = conn.execute(_SUPPLIERS).fetchall()
        expenses = pd.DataFrame(conn.execute(_EXPENSES).fetchall(), columns=list(CATEGORY_COLUMNS[:3]))
        read = time.perf_counter()
        matches = supplier_matches(published, overrides)
        resolved = time.perf_counter()
        categorised = line_categories(expenses)
        done = time.perf_counter()
        _replace(conn, "spend_supplier_matches", MATCH_COLUMNS, matches)
        _replace(conn, "spend_line_categories", CATEGORY_COLUMNS, categorised)
    return ResolveSummary(
        suppliers=len(matches),
        canonical_suppliers=len({m[3] for m in matches if m[3]}),
        unmatched=sum(1 for m in matches if not m[3]),
        expense_keys=len(categorised),
        unclassified_keys=sum(1 for c in categorised if c[3] is None),
        read_seconds=round(read - started, 3),
        resolve_seconds=round(resolved - read, 3),
        categorise_seconds=round(done - resolved, 3),
        write_seconds=round(time.perf_counter() - done, 3),
    )
