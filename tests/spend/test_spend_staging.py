"""The spend staging model in dbt: only each council's loaded (latest accepted) file per
period counts; a superseded file's lines and a rejected file's nothing stay out."""

from __future__ import annotations

from decimal import Decimal

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.spend import pipeline
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt

PERIOD = "2025-11"


def test_staging_keeps_only_the_latest_loaded_file_per_council_and_period(reference_warehouse, returns_server):
    folder, url = returns_server.folder / "spend-staging", f"{returns_server.url}/spend-staging"
    sample_spend.write(folder, [PERIOD], ["dudley"], scale=0.01)
    first, _ = pipeline.run_period(reference_warehouse, PERIOD, ["dudley"], spend_base_url=url)
    latest = sample_spend.write(folder, [PERIOD], ["dudley"], scale=0.02).files[0]
    sample_spend.write(folder, [PERIOD], ["walsall"], faults={"walsall": ["other_council"]}, scale=0.01)
    second, outcomes = pipeline.run_period(reference_warehouse, PERIOD, ["dudley", "walsall"], spend_base_url=url)
    assert first["loaded"] == 1 and second["loaded"] == 1 and second["rejected"] == 1
    loaded = next(o for o in outcomes if o.status == "loaded")

    built = run_dbt(reference_warehouse, ["build", "--select", "path:models/staging/spend"])
    assert built.success and not built.failures()
    assert sum("test." in n["node"] for n in built.nodes) >= 8  # the yml's tests ran

    dudley, walsall = catalogue.find_council("dudley").code, catalogue.find_council("walsall").code
    with connect(reference_warehouse, role="transformer") as conn:
        rows = conn.execute(
            """select council_code, count(*), count(distinct submission_id), min(submission_id), sum(net_amount),
                      bool_and(publication_frequency = 'monthly')
               from staging.stg_spend__council_spend_lines
               where spend_period = %s and council_code = any(%s) group by 1""",
            [PERIOD, [dudley, walsall]],
        ).fetchall()
        in_raw = conn.execute(
            "select count(distinct submission_id) from raw.council_spend_lines where council_code = %s and spend_period = %s",
            [dudley, PERIOD],
        ).fetchone()[0]
    assert in_raw == 2  # the superseded file's lines stay in raw as history ...
    # ... but staging has the latest file's lines only, and nothing of the rejected file.
    assert rows == [(dudley, len(latest.lines), 1, loaded.submission_id, Decimal(latest.net_pence) / 100, True)]
