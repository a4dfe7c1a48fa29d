"""The spend figures of `make bench` (issue 15): a year of "spend over £500" for the 33
councils pulled -> marts, and supplier resolution at scale with its precision and recall.

- The year: the latest financial year already over, written beforehand (not timed) by
  dev/sample_spend and served over HTTP from 127.0.0.1. Each calendar quarter of it goes
  through spend.pipeline.run_period with bulk=True, the backfill path: every council's
  files pulled and landed, read, validated in ONE GX run and COPYed into raw, then the
  suppliers resolved and the expenses categorised over every loaded line (spend.resolve,
  as the council_spend DAG does before it announces). Then dbt builds the spend models
  (staging and marts under models/*/spend, with what they need upstream). Timed by phase.
- Suppliers: dev/sample_suppliers.measure: 50,000 distinct raw names as the councils
  write them resolved by spend.suppliers.resolve, scored pairwise against the truth.

`run.run_spend_bench` runs these on their own (`councilbench bench --only spend`,
`make bench-spend`); `make bench` runs them after the returns' figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from councilbench.dev.bench.figures import Figure
from councilbench.warehouse.connection import Warehouse, connect

#: The spend models and everything they need upstream (seeds, the ledger's and the
#: registry's staging), without the tests of models the build leaves out.
SPEND_BUILD = [
    "build",
    "--select",
    "+path:models/staging/spend",
    "+path:models/marts/spend",
    "--indirect-selection",
    "cautious",
    "--exclude-resource-type",
    "unit_test",
]


def financial_year(today: date) -> tuple[list[str], list[str]]:
    """The latest financial year (April to March) that is over on `today`: its months and
    its calendar quarters (the periods run_period takes)."""
    start = today.year - 1 if today.month >= 4 else today.year - 2
    months = [f"{start}-{m:02d}" for m in range(4, 13)] + [f"{start + 1}-{m:02d}" for m in range(1, 4)]
    return months, [f"{start}-Q2", f"{start}-Q3", f"{start}-Q4", f"{start + 1}-Q1"]


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} CPUs"


@dataclass
class YearRun:
    """What pulling a year through to the marts took, phase by phase (seconds)."""

    ingest_seconds: float  # pull, land, read, validate, COPY: run_period less its resolve
    resolve_seconds: float  # spend.resolve, once per quarter that loaded something
    dbt_seconds: float
    files: int
    loaded: int
    rejected: int
    lines: int  # loaded into raw
    lines_in_marts: int  # marts.fct_spend_line
    last_resolve: dict  # the last run, over the whole year's lines
    dbt_nodes: int
    slowest_nodes: list[tuple[str, float]]
    load_before: str
    load_after: str

    @property
    def seconds(self) -> float:
        return self.ingest_seconds + self.resolve_seconds + self.dbt_seconds


def _resolve_seconds(resolved: dict | None) -> float:
    if not resolved:
        return 0.0
    return sum(resolved[k] for k in ("read_seconds", "resolve_seconds", "categorise_seconds", "write_seconds"))


def load_year(warehouse: Warehouse, quarters: list[str], base_url: str, out: Callable[[str], None] = print) -> dict:
    """Each quarter through run_period (bulk): seconds less resolve, resolve, and totals."""
    from councilbench.spend.pipeline import run_period

    totals = {"ingest_seconds": 0.0, "resolve_seconds": 0.0, "files": 0, "loaded": 0, "rejected": 0, "lines": 0}
    for quarter in quarters:
        started = time.monotonic()
        summary, _ = run_period(warehouse, quarter, spend_base_url=base_url, bulk=True)
        seconds = time.monotonic() - started
        resolved = _resolve_seconds(summary.get("resolved"))
        totals["ingest_seconds"] += seconds - resolved
        totals["resolve_seconds"] += resolved
        totals["last_resolve"] = summary.get("resolved") or totals.get("last_resolve", {})
        for key in ("files", "loaded", "rejected"):
            totals[key] += summary[key]
        totals["lines"] += summary["lines_loaded"]
        out(
            f"    {quarter}: {summary['files']} files, {summary['lines_loaded']:,} lines loaded in "
            f"{seconds - resolved:.1f} s, resolve {resolved:.1f} s ({load_average()})"
        )
    return totals


def build_marts(warehouse: Warehouse) -> dict:
    """dbt builds the spend models (SPEND_BUILD); raises DbtFailed naming what failed."""
    from councilbench.warehouse.transform import run_dbt

    started = time.monotonic()
    result = run_dbt(warehouse, SPEND_BUILD)
    seconds = time.monotonic() - started
    slowest = sorted(result.nodes, key=lambda n: -n["seconds"])[:3]
    with connect(warehouse, role="analyst") as conn:
        lines = conn.execute("select count(*) from marts.fct_spend_line").fetchone()[0]
    return {
        "dbt_seconds": seconds,
        "dbt_nodes": len(result.nodes),
        "slowest_nodes": [(n["node"].split(".")[-1], n["seconds"]) for n in slowest],
        "lines_in_marts": lines,
    }


def run_year(warehouse: Warehouse, quarters: list[str], base_url: str, out: Callable[[str], None] = print) -> YearRun:
    """The year pulled -> marts into `warehouse` (which holds no spend yet)."""
    before = load_average()
    loaded = load_year(warehouse, quarters, base_url, out)
    built = build_marts(warehouse)
    return YearRun(**loaded, **built, load_before=before, load_after=load_average())


def year_figures(run: YearRun, months: list[str], targets: dict[str, float]) -> list[Figure]:
    first, last = months[0], months[-1]
    resolved = run.last_resolve
    slowest = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run.slowest_nodes)
    return [
        Figure(
            "spend_year_seconds",
            f"a year of spend over £500 ({first}..{last}, 33 councils) pull -> marts",
            run.seconds,
            "s",
            targets["spend_year_seconds"],
            "<",
            f"pull, land, read, validate (one GX run a quarter) and COPY {run.lines:,} lines of {run.loaded} of "
            f"{run.files} files ({run.rejected} rejected) {run.ingest_seconds:.1f} s; suppliers resolved and "
            f"expenses categorised after each quarter {run.resolve_seconds:.1f} s (the last over the year: "
            f"{resolved.get('suppliers', 0):,} published suppliers -> {resolved.get('canonical_suppliers', 0):,} "
            f"canonical, {resolved.get('expense_keys', 0):,} expense types); dbt build of the spend models "
            f"({run.dbt_nodes} nodes) {run.dbt_seconds:.1f} s, slowest {slowest}; {run.lines_in_marts:,} lines in "
            f"marts.fct_spend_line; {run.load_before} before, {run.load_after} after",
        ),
        Figure(
            "spend_year_lines_per_second",
            "a year of spend, pull -> raw",
            run.lines / run.ingest_seconds if run.ingest_seconds else 0.0,
            "rows/s",
            detail="payment lines pulled, read, validated and loaded per second (resolve and dbt not included)",
        ),
    ]


def supplier_figures(distinct_names: int, targets: dict[str, float]) -> list[Figure]:
    """Resolve `distinct_names` labelled raw names (the truth generated beforehand, not
    timed) and score the clusters pairwise: seconds, precision and recall."""
    from councilbench.dev.sample_suppliers import measure

    m = measure(distinct_names)
    about = f"{m.raw_names:,} distinct raw names ({m.records:,} records) -> {m.suppliers_found:,} suppliers"
    pairs = "pairs of records judged the same supplier; truth from dev/sample_suppliers"
    return [
        Figure(
            "supplier_resolution_seconds",
            f"supplier resolution of {m.raw_names:,} distinct raw names",
            m.seconds,
            "s",
            targets["supplier_resolution_seconds"],
            "<",
            f"{about} by spend.suppliers.resolve (normalising included)",
        ),
        Figure(
            "supplier_precision",
            "supplier resolution: pairwise precision",
            m.precision,
            "ratio",
            targets["supplier_precision"],
            ">=",
            f"{pairs}: the share that truly are ({about})",
        ),
        Figure(
            "supplier_recall",
            "supplier resolution: pairwise recall",
            m.recall,
            "ratio",
            targets["supplier_recall"],
            ">=",
            f"{pairs}: the share of the true pairs found",
        ),
    ]
