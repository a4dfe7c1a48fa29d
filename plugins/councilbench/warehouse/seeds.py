"""Seeds whose columns changed since a warehouse was seeded.

`dbt seed` refills an existing seed table (truncate, insert) and never adds a column, so a
warehouse seeded by an older version fails on a seed that has gained one (the registry's
spend_source, say): "column ... does not exist". Such seeds are reseeded once with
--full-refresh before the build that would fail. dbt drops the old table with CASCADE, so
views built on it go too; the build that follows (the reference refresh's selection, or
the warehouse build) creates them again.
"""

from __future__ import annotations

import csv
import logging

from councilbench.core import settings
from councilbench.warehouse.connection import Warehouse, connect
from councilbench.warehouse.transform import run_dbt

log = logging.getLogger(__name__)

#: The schema the seeds are written to (dbt_project.yml: +schema: reference).
SEED_SCHEMA = "reference"


def seed_columns() -> dict[str, list[str]]:
    """Each seed of the dbt project by name -> the columns of its CSV header."""
    out = {}
    for path in sorted((settings.dbt_project_dir() / "seeds").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            out[path.stem] = [c.strip().lower() for c in next(csv.reader(f), [])]
    return out


def changed_seeds(warehouse: Warehouse) -> list[str]:
    """Seeds whose table exists with other columns than their CSV has now."""
    with connect(warehouse) as conn:
        # pg_catalog, not information_schema: that lists only columns this login may use.
        rows = conn.execute(
            "select c.relname::text, array_agg(a.attname::text order by a.attnum)"
            " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " join pg_attribute a on a.attrelid = c.oid"
            " where n.nspname = %s and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped"
            " group by c.relname",
            [SEED_SCHEMA],
        ).fetchall()
    tables = {name: list(columns) for name, columns in rows}
    return [name for name, columns in seed_columns().items() if name in tables and tables[name] != columns]


def reseed_changed(warehouse: Warehouse) -> list[str]:
    """Reseed (--full-refresh) each seed whose columns changed; the seeds it reseeded."""
    changed = changed_seeds(warehouse)
    if changed:
        log.info("seeds whose columns changed, reseeded in full: %s", ", ".join(changed))
        run_dbt(warehouse, ["seed", "--full-refresh", "--select", *changed])
    return changed
