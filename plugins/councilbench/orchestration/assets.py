"""Airflow assets that link the DAGs: a loader's outlet is the next DAG's schedule.

One place for the names, so producer and consumer can never disagree.
"""

from airflow.sdk import Asset

REFERENCE_DATA = Asset("councilbench://warehouse/reference", group="warehouse")
COUNCIL_RETURNS = Asset("councilbench://warehouse/raw/council_return_rows", group="warehouse")
PUBLIC_STATISTICS = Asset("councilbench://warehouse/raw/public_observations", group="warehouse")
#: The benchmarking marts, rebuilt by the warehouse_build DAG; the reports DAG runs on it.
MARTS = Asset("councilbench://warehouse/marts", group="warehouse")
#: The published reports (annual Performance of the Region and the monthly council packs),
#: written by the reports DAG under <state>/reports.
REPORTS = Asset("councilbench://reports", group="reports")
#: Council spend lines (raw.council_spend_lines), loaded by the council_spend DAG.
COUNCIL_SPEND = Asset("councilbench://warehouse/raw/council_spend_lines", group="warehouse")
#: Council pay posts (raw.council_pay_posts), loaded by the council_pay DAG when it
#: validated a new deposit.
COUNCIL_PAY = Asset("councilbench://warehouse/raw/council_pay_posts", group="warehouse")
