"""Refreshing the reference data: schemas and roles, then the dbt seeds (registry,
contacts, catalogue) and the models built only from them (dim_council, dim_metric,
dim_partnership_group)."""

from __future__ import annotations

from councilbench.warehouse import bootstrap, seeds
from councilbench.warehouse.connection import Warehouse
from councilbench.warehouse.transform import run_dbt

#: dbt selector for the seeds and the models built from them alone (not their
#: descendants: the benchmarking marts are the warehouse DAG's job).
REFERENCE_SELECTOR = (
    "resource_type:seed stg_reference__council_registry stg_reference__metric_catalogue dim_council dim_metric"
    " dim_partnership_group"
)


def refresh(warehouse: Warehouse) -> dict:
    """`db up`, then seed and build the reference models with their tests."""
    db = bootstrap.up(warehouse)
    reseeded = seeds.reseed_changed(warehouse)
    # cautious: a test that also depends on models outside the selection (say a
    # relationships test from a later model) waits for a full build instead of failing here.
    result = run_dbt(warehouse, ["build", "--select", *REFERENCE_SELECTOR.split(), "--indirect-selection", "cautious"])
    return {
        "database": db["database"],
        "reseeded": reseeded,
        "dbt_nodes": len(result.nodes),
        "dbt_seconds": round(sum(n["seconds"] for n in result.nodes), 2),
    }
