"""Public statistics that put the council returns in context: the NOMIS claimant count
(NM_162_1) and mid-year population estimates (NM_2002_1) for the 33 councils, the West
Midlands and England, and DEFRA's household recycling rates (GOV.UK spreadsheet).

Monthly on the 20th, when last month's claimant count is out. Each dataset configured in
councilbench.public.datasets is one mapped task: fetched (NOMIS pages followed past its
25,000-cell cap), landed and recorded in the ledger, validated with Great Expectations
(expectations/public_*.json) and loaded into raw.public_observations; the outlet asset
schedules dbt. The same answer again changes nothing; a revised one supersedes the older.

Params (empty: derived from the run's date): month_from / month_to (YYYY-MM, claimant
count; default the 12 latest published months) and year_from / year_to (mid-year
estimates; default the 3 latest). DEFRA's release is the file at
COUNCILBENCH_DEFRA_WASTE_URL; NOMIS is COUNCILBENCH_NOMIS_BASE_URL
(default https://www.nomisweb.co.uk). A dataset failing validation fails its task without
retries (ops.check_results says why, nothing is loaded); an unreachable source is retried.
Rerun a range: `airflow dags test public_sources -c '{"month_from": "2025-01", "month_to": "2025-12"}'`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import PUBLIC_STATISTICS
from councilbench.orchestration.dag_defaults import TAG, default_args
from councilbench.public.datasets import DATASET_IDS

MONTH = r"^(\d{4}-(0[1-9]|1[0-2]))?$"
YEAR = r"^(\d{4})?$"


@dag(
    dag_id="public_sources",
    schedule="0 6 20 * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[TAG, "public", "nomis", "defra"],
    doc_md=__doc__,
    params={
        "month_from": Param(
            "",
            type="string",
            pattern=MONTH,
            description="First month (YYYY-MM) of claimant count; empty: 11 months before month_to.",
        ),
        "month_to": Param(
            "",
            type="string",
            pattern=MONTH,
            description="Last month (YYYY-MM) of claimant count; empty: the latest published at the run's date.",
        ),
        "year_from": Param(
            "",
            type="string",
            pattern=YEAR,
            description="First mid-year population estimate (YYYY); empty: 2 years before year_to.",
        ),
        "year_to": Param(
            "",
            type="string",
            pattern=YEAR,
            description="Last mid-year population estimate (YYYY); empty: the latest published at the run's date.",
        ),
    },
)
def public_sources():
    @task(outlets=[PUBLIC_STATISTICS], map_index_template="{{ task.op_kwargs['dataset_id'] }}")
    def load_public_dataset(dataset_id: str) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.public import datasets, load

        ctx = get_current_context()
        as_of = ctx.get("data_interval_end") or ctx.get("logical_date") or pendulum.now("UTC")
        ranges = datasets.ranges_from_params(ctx["params"], as_of.date())
        result = load.refresh_dataset(warehouse_from_airflow(), dataset_id, ranges)
        if result.outcome in ("error", "not_received"):
            raise RuntimeError(f"{dataset_id} {result.period}: {result.message}")  # retried
        if result.status == "rejected":
            # Retrying the same answer cannot help: fail now and tell the platform team.
            raise AirflowFailException(f"{dataset_id} {result.period} rejected: {result.message}")
        return result.as_dict()

    load_public_dataset.expand(dataset_id=list(DATASET_IDS))


public_sources()
