"""Every column of the pay marts, row by row, against the independent recomputation in
pay.py, on a warehouse of this module's own loaded by the real loaders only:

- the public statistics the nearest-neighbour model reads (population, claimant count,
  deprivation, land area: demo files served on 127.0.0.1, the public loader), so that
  every group type exists;
- three years of GOV.UK gender pay gap downloads (tests/fixtures/public/gpg) through the
  gender pay gap loader, the oldest served with Dudley's row under another employer's
  name and Walsall's row missing (the two ways a council goes unmatched);
- the sample pay deposits of all 33 councils for one pay year (dev/sample_pay, scale
  0.01) through the pay pipeline, two of them rejected (personal data, hourly rates),
  Rugby's corrected deposit loaded after its rejection and Walsall's superseding its
  first; seven councils' deposits for the year before;
- then dbt runs the pay marts. The marts are read as the analyst (the role with the full
  statistics, under the suppression rules), what the loaders wrote as the loader."""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from councilbench.core import catalogue, settings
from councilbench.core.calendar import months_between
from councilbench.dev import economy_table_samples, sample_pay
from councilbench.dev import public_samples as demo_data
from councilbench.dev.oracle import pay as oracle
from councilbench.dev.oracle import verdict
from councilbench.dev.oracle.frames import read_frame
from councilbench.dev.public_server import SourceServer
from councilbench.ingest.fetch import RetryPolicy
from councilbench.pay import pipeline
from councilbench.public import datasets as dsets
from councilbench.public import gender_pay_gap as gpg
from councilbench.public.gender_pay_gap_load import refresh_year
from councilbench.public.load import refresh_dataset
from councilbench.warehouse.transform import run_dbt
from warehouse_copy import warehouse_copy

PAY_YEAR, EARLIER_YEAR = "2025-26", "2024-25"
EARLIER_COUNCILS = ["dudley", "walsall", "wolverhampton", "sandwell", "birmingham", "coventry", "herefordshire"]
REJECTED = {"sandwell": ["ni_numbers"], "rugby": ["hourly_rates"]}
SCALE = 0.01
#: What the nearest-neighbour features are built from (the other public datasets are not needed).
PUBLIC_MONTHS, PUBLIC_YEARS = ("2025-01", "2025-12"), ("2023", "2024")
FEATURE_DATASETS = ["nomis_population", "nomis_claimant_count", "mhclg_iod_lad", "mhclg_iod_utla", "ons_land_area"]
GPG_FIXTURES = settings.project_root() / "tests" / "fixtures" / "public" / "gpg"
GPG_YEARS = ["2022-23", "2023-24", "2024-25"]
#: In the 2022-23 download: Dudley's id names another employer, Walsall's row is not there.
NAME_DIFFERS, NOT_IN_FILE, OTHER_EMPLOYER = "E08000027", "E08000030", "DUDLEY COLLEGE OF TECHNOLOGY"
FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=2, read_timeout=20)


def load_features(warehouse, folder) -> None:
    demo_data.write_sources(
        folder,
        months=months_between(*PUBLIC_MONTHS),
        years=dsets.years_between(*PUBLIC_YEARS),
        financial=demo_data.financial_years(2023, 2024),
    )
    ranges = dsets.Ranges(*PUBLIC_MONTHS, *PUBLIC_YEARS)
    with SourceServer(folder) as server, settings.environ(
        {dsets.NOMIS_BASE_URL_ENV: server.base_url, **economy_table_samples.served_urls(server)}
    ):  # fmt: skip
        results = [refresh_dataset(warehouse, d, ranges, policy=FAST) for d in FEATURE_DATASETS]
    assert all(r.status == "loaded" for r in results), [r.as_dict() for r in results]


def gpg_files(folder) -> None:
    """The fixture downloads, the 2022-23 one with an unmatched name and a council missing."""
    (folder / "gpg").mkdir(parents=True)
    for path in GPG_FIXTURES.iterdir():
        shutil.copy(path, folder / "gpg" / path.name)
    ids = {code: catalogue.councils()[code].gpg_employer_id for code in (NAME_DIFFERS, NOT_IN_FILE)}
    path = folder / "gpg" / "UK Gender Pay Gap Data - 2022 to 2023.csv"
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    at = {name: header.index(name) for name in ("EmployerId", "EmployerName", "CurrentName")}
    kept = []
    for row in rows:
        if row[at["EmployerId"]] == ids[NAME_DIFFERS]:
            row[at["EmployerName"]] = row[at["CurrentName"]] = OTHER_EMPLOYER
        if row[at["EmployerId"]] != ids[NOT_IN_FILE]:
            kept.append(row)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([header, *kept])
    path.write_text(out.getvalue(), encoding="utf-8-sig")


@pytest.fixture(scope="module")
def pay_warehouse(reference_template, returns_server, tmp_path_factory):
    folder = returns_server.folder / "oracle-pay"
    url = f"{returns_server.url}/oracle-pay"
    sources = tmp_path_factory.mktemp("oracle-pay-sources")
    with warehouse_copy(reference_template, "oracle_pay") as warehouse:
        load_features(warehouse, sources)
        gpg_files(sources)
        with SourceServer(sources) as server, settings.environ({gpg.URL_ENV: server.gpg_url}):
            for year in GPG_YEARS:
                assert refresh_year(warehouse, year, policy=FAST).status == "loaded"
        sample_pay.write(folder, PAY_YEAR, scale=SCALE, faults=REJECTED)
        sample_pay.write(folder, EARLIER_YEAR, EARLIER_COUNCILS, scale=SCALE)
        first, _ = pipeline.run_year(warehouse, PAY_YEAR, pay_base_url=url)
        assert (first["loaded"], first["rejected"]) == (31, 2)
        pipeline.run_year(warehouse, EARLIER_YEAR, EARLIER_COUNCILS, pay_base_url=url)
        sample_pay.write(folder, PAY_YEAR, ["rugby"], scale=SCALE)  # corrected after its rejection
        sample_pay.write(folder, PAY_YEAR, ["walsall"], scale=SCALE, seed=7)  # a new deposit supersedes the first
        again, _ = pipeline.run_year(warehouse, PAY_YEAR, ["rugby", "walsall"], pay_base_url=url)
        assert again["loaded"] == 2
        run_dbt(warehouse, ["run", "--select", "+mart_pay_benchmark", "+mart_pay_gender_gap"])
        yield warehouse


def test_the_deposits_went_through_the_pay_loader(pay_warehouse):
    ledger = read_frame(
        pay_warehouse,
        "select subject, period, status from ops.submissions where source_kind = 'council_pay'",
        role="loader",
    )
    statuses = ledger.groupby(["period", "status"]).size().to_dict()
    assert statuses == {
        (PAY_YEAR, "loaded"): 32,  # 33 councils, Sandwell rejected
        (PAY_YEAR, "rejected"): 2,
        (PAY_YEAR, "superseded"): 1,
        (EARLIER_YEAR, "loaded"): len(EARLIER_COUNCILS),
    }
    posts = oracle.counting_posts(pay_warehouse)
    assert posts.groupby("pay_year").council_code.nunique().to_dict() == {
        PAY_YEAR: 32,
        EARLIER_YEAR: len(EARLIER_COUNCILS),
    }


def test_the_oracle_sees_every_group_type_verdict_and_match(pay_warehouse):
    """The stories the comparisons below must see: every group type and every verdict,
    not only the easy ones, and each kind of gender pay gap match."""
    expected = oracle.pay_benchmark(
        oracle.counting_posts(pay_warehouse), oracle.memberships(pay_warehouse), oracle.PayRules.configured()
    )
    assert set(expected.group_type) == {"region", "tier", "county_family", "nearest_neighbours", "partnership"}
    reasons = expected.suppression_reason.dropna()
    assert (~expected.is_suppressed.astype(bool)).sum() > 100 and expected.p10_salary.notna().any()
    for words in ("is refused", "fewer than 5 councils", "fewer than 5 incumbents", "of the incumbents (more than"):
        assert reasons.str.contains(words, regex=False).any(), words
    gap = oracle.gender_gap(oracle.loaded_gender_pay_gap(pay_warehouse))
    assert set(gap.reporting_year) == set(GPG_YEARS)
    assert {"matched", "id_not_in_file", "name_differs"} <= set(gap.match_status)


@pytest.mark.parametrize("mart", list(verdict.PAY_KEYS))
def test_every_figure_of_the_pay_mart_matches_the_oracle(pay_warehouse, mart):
    """Every column (match_note by its rule: its words are not documented, only that it
    must say why)."""
    result = verdict.pay_marts(pay_warehouse)[mart]
    print(result)
    assert result.rows, f"{mart} is empty: nothing was checked"
    assert result.clean, result.report(verdict.PAY_KEYS[mart])
