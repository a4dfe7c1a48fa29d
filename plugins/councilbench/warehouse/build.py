"""Building the benchmarking warehouse: `dbt build` (models, seeds, data and unit tests)
then `dbt docs generate --static` (one page that opens from disk: docs_page()), as the
transformer role, with a summary that says what ran and, when something failed, which
node and why.

The warehouse_build DAG calls build_models() and generate_docs() as two tasks (the marts
are announced as soon as they are built; the docs cannot hold them up). The demo and the
benchmark call build(), which does both.

Incremental models (int_returns__latest_values, fct_metric_value, mart_benchmark) only
process what changed since their last build; full_refresh=True rebuilds them from all of
history. A table whose columns are not its model's documented columns (built by an older
version of the model) is rebuilt from all of history by itself (macros/plumbing/should_full_refresh.sql).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from councilbench.core import settings
from councilbench.warehouse import seeds
from councilbench.warehouse.connection import Warehouse, connect
from councilbench.warehouse.transform import DbtFailed, DbtResult, run_dbt

log = logging.getLogger(__name__)

#: What analysts read (schema marts), in the order a reader meets them.
MARTS = (
    "dim_council",
    "dim_metric",
    "dim_period",
    "dim_partnership_group",
    "fct_metric_value",
    "mart_benchmark",
    "mart_comparison_groups",
    "mart_council_neighbours",
    "mart_neighbour_model_features",
    "mart_region_performance",
    "mart_region_problems",
    "mart_region_economy",
    "mart_council_context",
    "mart_best_practice",
    "mart_case_studies",
    "mart_good_practice",
    "mart_submission_quality",
    "fct_spend_line",
    "mart_spend_shared_suppliers",
    "mart_spend_by_category",
    "mart_spend_by_category_year",
    "mart_spend_opportunities",
    "mart_spend_quality",
    # pay: suppressed statistics only (a council's own posts are in the pay schema, which
    # analysts and the open data release never read)
    "mart_pay_benchmark",
    "mart_pay_gender_gap",
)

#: Models that grow with history and are built incrementally.
INCREMENTAL_MODELS = ("int_returns__latest_values", "fct_metric_value", "mart_benchmark", "mart_region_performance")


def docs_dir() -> Path:
    """Where `dbt docs generate` writes its output (manifest.json, catalog.json, ...)."""
    return settings.state_path("dbt", "docs")


def docs_page() -> Path:
    """The docs site as one page that opens from disk: dbt's static page, with the
    manifest and catalog inlined. dbt's usual index.html fetches them, which browsers
    refuse to a file:// page, so opened from disk it never finishes loading."""
    return docs_dir() / "index.html"


def _short(node_id: str) -> str:
    """model.councilbench.mart_benchmark -> 'model mart_benchmark'; a data test's id ends
    in a hash, so its name is the third part (test.councilbench.<name>.<hash>)."""
    parts = node_id.split(".")
    if len(parts) < 3:
        return node_id
    return f"{parts[0]} {parts[2] if parts[0] == 'test' else parts[-1]}"


def describe_failures(result: DbtResult) -> list[str]:
    """One line per failing node: what it is, its status, and dbt's message (a failing
    test also says how many rows failed). Nodes skipped because of them are counted."""
    lines = []
    for n in result.failures():
        failing_rows = f" ({n['failures']} failing rows)" if n.get("failures") else ""
        message = " ".join(str(n.get("message") or "").split())
        lines.append(f"{_short(n['node'])}: {n['status']}{failing_rows}: {message[:2000]}")
    return lines


def _log_result(result: DbtResult, seconds: float) -> dict:
    statuses: dict[str, int] = {}
    for n in result.nodes:
        statuses[n["status"]] = statuses.get(n["status"], 0) + 1
    failures = describe_failures(result)
    for line in failures:
        log.error("dbt %s", line)
    skipped = statuses.get("skipped", 0)
    if failures and skipped:
        log.error("dbt: %d node(s) skipped because something upstream failed", skipped)
    slowest = sorted(result.nodes, key=lambda n: -n["seconds"])[:5]
    log.info(
        "dbt %s: %d nodes in %.1f s %s; slowest: %s",
        " ".join(result.command),
        len(result.nodes),
        seconds,
        statuses,
        ", ".join(f"{_short(n['node'])} {n['seconds']:.2f}s" for n in slowest),
    )
    return {"statuses": statuses, "failures": failures}


def mart_row_counts(warehouse: Warehouse) -> dict[str, int]:
    """Rows in each mart, read as the analyst (what analysts will see)."""
    counts = {}
    with connect(warehouse, role="analyst") as conn:
        for name in MARTS:
            row = conn.execute("select to_regclass(%s) is not null", [f"marts.{name}"]).fetchone()
            counts[name] = conn.execute(f"select count(*) from marts.{name}").fetchone()[0] if row[0] else None
    return counts


def build_models(
    warehouse: Warehouse, full_refresh: bool = False, *, select: list[str] | None = None, unit_tests: bool = True
) -> dict:
    """`dbt build` (seeds, models, snapshots, data and unit tests) as the transformer role.

    unit_tests=False is the production build (the warehouse_build DAG): dbt unit tests
    check the models' logic on fixed inputs, not the data, so they belong to CI
    (`make test` runs them) and only cost the monthly build time; the data tests run.
    Raises DbtFailed naming every failing node (each also logged on its own line).
    """
    args = (
        ["build"]
        + (["--full-refresh"] if full_refresh else [])
        + (["--select", *select] if select else [])
        + ([] if unit_tests else ["--exclude-resource-type", "unit_test"])
    )
    started = time.monotonic()
    reseeded = seeds.reseed_changed(warehouse)  # a warehouse seeded by an older version
    result = run_dbt(warehouse, args, raise_on_failure=False)
    seconds = round(time.monotonic() - started, 2)
    outcome = _log_result(result, seconds)
    if not result.success:
        detail = "; ".join(outcome["failures"]) or "dbt reported a failure without a failing node (see the dbt log)"
        raise DbtFailed(f"dbt {' '.join(args)} failed: {detail}")
    incremental = {
        _short(n["node"]).split()[-1]: n["message"]
        for n in result.nodes
        if n["node"].split(".")[-1] in INCREMENTAL_MODELS
    }
    return {
        "command": " ".join(args),
        "reseeded": reseeded,
        "seconds": seconds,
        "nodes": len(result.nodes),
        "statuses": outcome["statuses"],
        "incremental": incremental,
        "marts": mart_row_counts(warehouse),
    }


def generate_docs(warehouse: Warehouse) -> dict:
    """`dbt docs generate --static` into the state folder; the site is docs_page()."""
    target = docs_dir()
    started = time.monotonic()
    result = run_dbt(warehouse, ["docs", "generate", "--static", "--target-path", str(target)], raise_on_failure=False)
    seconds = round(time.monotonic() - started, 2)
    if not result.success:
        detail = "; ".join(describe_failures(result)) or "see the dbt log"
        log.error("dbt docs generate failed: %s", detail)
        raise DbtFailed(f"dbt docs generate failed: {detail}")
    # One page in one place: the static page takes the name people open.
    (target / "static_index.html").replace(docs_page())
    log.info("dbt docs generated in %.1f s: %s", seconds, docs_page())
    return {"docs": str(docs_page()), "seconds": seconds}


def build(warehouse: Warehouse, full_refresh: bool = False, *, docs: bool = True) -> dict:
    """The whole job: build and test every model, then the docs. Returns a summary
    (nodes by status, what the incremental models did, rows per mart, docs path)."""
    summary = build_models(warehouse, full_refresh=full_refresh)
    if docs:
        summary["docs"] = generate_docs(warehouse)["docs"]
    return summary
