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

Economy context on NOMIS, configured in councilbench.public.datasets (each code's NOMIS
name checked, so a wrong code rejects the answer): the claimant count aged 18-24
(NM_162_1, age 11, with the UK), the Annual Population Survey's residents aged 16-64
qualified to level 4+ (NM_17_5, 12 months to December of each year asked for: RQF4+ from
2022 and NVQ4+ to 2021 kept apart, with numerator, denominator and confidence interval)
and UK Business Counts (enterprises NM_142_1, local units NM_141_1: size bands and
manufacturing, March of each year asked for); year_from / year_to choose their years.

Economy context tables, each a mapped task of the same kind, from the file its
COUNCILBENCH_*_URL names (default: the publisher's): ONS subregional productivity by
district and by ITL area (the counties are ITL3 areas), the Indices of Deprivation 2025
local authority summaries (districts, upper tier) and ONS Standard Area Measurements.

GOV.UK's gender pay gap data (task load_gender_pay_gap): one download per reporting year
from COUNCILBENCH_GPG_URL, every employer's row loaded into raw.public_gender_pay_gap,
the councils matched by EmployerId through the registry (gpg_employer_id); a council not
matched is a warning naming it. Params gpg_year_from / gpg_year_to (YYYY-YY; empty: the
3 latest reporting years whose public-sector deadline, 30 March, has passed).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from councilbench.orchestration.assets import PUBLIC_STATISTICS
from councilbench.orchestration.dag_defaults import TAG, default_args
from councilbench.public.datasets import DATASET_IDS

MONTH = r"^(\d{4}-(0[1-9]|1[0-2]))?$"
YEAR = r"^(\d{4})?$"
REPORTING_YEAR = r"^(\d{4}-\d{2})?$"


@dag(
    dag_id="public_sources",
    schedule="0 6 20 * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[TAG, "public", "nomis", "defra", "gender_pay_gap"],
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
            description="First year (YYYY) of mid-year population, APS and business counts; empty: 2 years before year_to.",
        ),
        "year_to": Param(
            "",
            type="string",
            pattern=YEAR,
            description="Last year (YYYY) of mid-year population, APS and business counts; empty: by the run's date.",
        ),
        "gpg_year_from": Param(
            "",
            type="string",
            pattern=REPORTING_YEAR,
            description="First gender pay gap reporting year (YYYY-YY); empty: 2 years before gpg_year_to.",
        ),
        "gpg_year_to": Param(
            "",
            type="string",
            pattern=REPORTING_YEAR,
            description="Last gender pay gap reporting year (YYYY-YY); empty: the latest whose deadline has passed.",
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

    @task(outlets=[PUBLIC_STATISTICS])
    def load_gender_pay_gap() -> list[dict]:
        from airflow.sdk.exceptions import AirflowFailException

        from councilbench.orchestration.connections import warehouse_from_airflow
        from councilbench.public import gender_pay_gap, gender_pay_gap_load

        ctx = get_current_context()
        as_of = ctx.get("data_interval_end") or ctx.get("logical_date") or pendulum.now("UTC")
        years = gender_pay_gap.years_from_params(ctx["params"], as_of.date())
        results = gender_pay_gap_load.refresh_years(warehouse_from_airflow(), years)
        unreachable = [r for r in results if r.outcome in ("error", "not_received")]
        if unreachable:
            raise RuntimeError("; ".join(f"{r.period}: {r.message}" for r in unreachable))  # retried
        rejected = [r for r in results if r.status == "rejected"]
        if rejected:
            raise AirflowFailException("; ".join(f"{r.period} rejected: {r.message}" for r in rejected))
        return [r.as_dict() for r in results]

    load_public_dataset.expand(dataset_id=list(DATASET_IDS))
    load_gender_pay_gap()


public_sources()
