"""Every column of marts.mart_submission_quality, row by row, against the independent
recomputation in quality.py, on a warehouse of this module's own whose ledger
only the returns loader wrote: two reporting months (the two before today's) of sample
returns (dev/sample_returns) served on 127.0.0.1 and run through
councilbench.returns.pipeline.run_month for six councils:

- Dudley: both months clean, the second fetched twice (the second time nothing new);
- Walsall: a month-on-month jump in the second month (loaded with a warning);
- Rugby: its first month rejected on two checks, then corrected (resubmitted, loaded);
- Telford & Wrekin: no file the first month (not received), then one;
- Redditch: its second month rejected and never corrected;
- Tamworth: no file the second month;
and the other 27 councils never fetched (rows with nothing). The first month is past its
due date; the second is due this month (on time or late, missing or not yet due, by
today's date). Read as the analyst (the mart) and the loader (the ledger). The same
comparison then runs on the session's demo-sized warehouse the real pipeline loaded."""

from __future__ import annotations

from datetime import date

import pytest

from councilbench.core import catalogue
from councilbench.core.calendar import add_months
from councilbench.dev import sample_returns as sample
from councilbench.dev.oracle import quality as oracle
from councilbench.dev.oracle import verdict
from councilbench.returns.pipeline import run_month
from councilbench.warehouse.transform import run_dbt
from warehouse_copy import warehouse_copy

DUDLEY, WALSALL, RUGBY, TELFORD, REDDITCH, TAMWORTH = (
    catalogue.find_council(name).code
    for name in ("dudley", "walsall", "rugby", "telford-and-wrekin", "redditch", "tamworth")
)
COUNCILS = [DUDLEY, WALSALL, RUGBY, TELFORD, REDDITCH, TAMWORTH]


@pytest.fixture(scope="module")
def quality_warehouse(reference_template, returns_server):
    second = add_months(f"{date.today():%Y-%m}", -1)
    first = add_months(second, -1)
    folder, url = returns_server.folder / "oracle-quality", f"{returns_server.url}/oracle-quality"

    def run(month: str, councils: list[str]) -> dict:
        return run_month(warehouse, month, councils=councils, returns_base_url=url, notify=False)

    with warehouse_copy(reference_template, "oracle_quality") as warehouse:
        sample.write_returns(
            folder, [first], councils=[DUDLEY, WALSALL, RUGBY, REDDITCH, TAMWORTH],
            faults={RUGBY: ["duplicate_rows", "negative_count"]},
        )  # fmt: skip
        assert run(first, COUNCILS)["rejected"] == 1
        sample.write_returns(folder, [first], councils=[RUGBY])  # corrected
        assert run(first, [RUGBY])["loaded"] == 1
        sample.write_returns(
            folder, [first, second], councils=[DUDLEY, WALSALL, RUGBY, TELFORD, REDDITCH],
            faults={WALSALL: ["month_on_month_jump"], REDDITCH: ["duplicate_rows"]},
        )  # fmt: skip
        summary = run(second, COUNCILS)
        assert (summary["loaded"], summary["rejected"], summary["not_received"]) == (4, 1, 1)
        run(second, [DUDLEY])  # fetched again: nothing new
        run_dbt(warehouse, ["run", "--select", "+mart_submission_quality"])
        yield warehouse


def test_mart_submission_quality(quality_warehouse):
    expected = oracle.submission_quality(oracle.read_ledger(quality_warehouse))
    ours = expected[expected.council_code.isin(COUNCILS)]
    # the stories above are all there to be checked
    assert len(expected) == 33 * 2 and set(ours.final_status) == {"loaded", "rejected", "missing"}
    assert ours.resubmitted.any() and (ours.checks_warned > 0).any() and (ours.fetch_attempts_without_file > 0).any()
    assert ours.failed_check_messages.dropna().str.contains("\n").any()  # two checks failed, one line each
    assert set(expected.timeliness) & {"missing", "not_yet_due"} and set(ours.timeliness) & {"on_time", "late"}
    result = verdict.submission_quality(quality_warehouse)
    print(result)
    assert result.clean, result.report(verdict.QUALITY_KEY)


def test_mart_submission_quality_of_the_pipeline_run(pipeline_run):
    """The same, on the session's demo-sized warehouse (conftest.py `pipeline_run`: every
    council's returns of two years through the real loaders and Airflow, then dbt)."""
    warehouse = pipeline_run.warehouse
    expected = oracle.submission_quality(oracle.read_ledger(warehouse))
    assert expected.council_code.nunique() == 33 and expected.return_month.nunique() >= 24
    result = verdict.submission_quality(warehouse)
    print(result)
    assert result.clean, result.report(verdict.QUALITY_KEY)
