"""Public statistics end to end against a NOMIS-like and GOV.UK-like server on 127.0.0.1
serving the published formats (tests/fixtures/public), into a real Postgres, checked by
real Great Expectations. The server caps answers at 50 cells, so paging is real.

Each test asks for its own range (or release), so the ledger rows it checks are its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from councilbench.dev.public_server import SourceServer, raw_fields, unquoted
from councilbench.ingest.fetch import RetryPolicy
from councilbench.public import datasets as dsets
from councilbench.public.load import refresh_dataset
from councilbench.warehouse.connection import connect
from public_rows import raw_rows

FIXTURES = Path(__file__).parents[1] / "fixtures" / "public"
FAST = RetryPolicy(attempts=3, backoff_seconds=0.05, connect_timeout=2, read_timeout=0.5)
NOMIS_PATH = "/api/v01/dataset/"
DEFRA_ODS = "defra/LA_and_Regional_Spreadsheet_2023-24.ods"
DEFRA_XLSX = "defra/LA_and_Regional_Spreadsheet_202324.xlsx"
RECYCLING_HEADER = "Percentage of household waste sent for reuse, recycling or composting (Ex NI192)"


@pytest.fixture(scope="module")
def source_server():
    with SourceServer(FIXTURES, cell_cap=50) as srv:
        yield srv


@pytest.fixture
def sources(source_server, monkeypatch):
    source_server.clear()
    source_server.folder = FIXTURES
    monkeypatch.setenv(dsets.NOMIS_BASE_URL_ENV, source_server.base_url)
    monkeypatch.setenv("COUNCILBENCH_DEFRA_WASTE_URL", source_server.url(DEFRA_ODS))
    return source_server


def ranges(months=("2025-01", "2025-03"), years=("2022", "2024")) -> dsets.Ranges:
    return dsets.Ranges(month_from=months[0], month_to=months[1], year_from=years[0], year_to=years[1])


def ledger(warehouse, subject: str, period: str) -> list[tuple]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            "select submission_id, status, outcome, rows_loaded from ops.submissions"
            " where source_kind = 'public_source' and subject = %s and period = %s order by submission_id",
            [subject, period],
        ).fetchall()


def checks_of(warehouse, submission_id: int) -> dict[str, tuple]:
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            "select check_name, outcome, message, failing_row_count, failing_rows"
            " from ops.check_results where submission_id = %s",
            [submission_id],
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


# --- the query --------------------------------------------------------------------------


def test_nomis_queries_have_the_real_api_shape():
    from councilbench.public.nomis import query

    cc = dsets.get("nomis_claimant_count")
    url = query(
        cc, ["E08000025", "E12000005", "E92000001"], ["2025-01", "2025-02"], base_url="https://www.nomisweb.co.uk"
    )
    assert url.startswith(
        "https://www.nomisweb.co.uk/api/v01/dataset/NM_162_1.data.csv?"
        "geography=E08000025,E12000005,E92000001&date=2025-01,2025-02"
        "&gender=0&age=0&measures=20100&measure=1,2&select=date_code,"
    )
    assert "RecordOffset" not in url
    assert "RecordOffset=25000" in query(cc, ["E08000025"], ["2025-01"], offset=25000)
    pop = query(dsets.get("nomis_population"), ["E10000028"], ["2024"], base_url="http://x")
    assert "/NM_2002_1.data.csv?geography=E10000028&date=2024&gender=0&measures=20100&c_age=200,203&" in pop
    # The registry decides what is asked for: 33 councils (counties too), region, England.
    assert len(dsets.expected_areas(cc)) == 36  # 33 councils, the region, England and the UK
    assert len(dsets.expected_areas(dsets.get("defra_waste"))) == 32  # the tiers that collect waste


def test_default_ranges_follow_the_publication_calendar():
    assert dsets.default_ranges(__import__("datetime").date(2026, 11, 21)) == dsets.Ranges(
        "2025-11", "2026-10", "2023", "2025"
    )
    assert dsets.default_ranges(__import__("datetime").date(2026, 3, 5)) == dsets.Ranges(
        "2025-02", "2026-01", "2022", "2024"
    )
    assert dsets.get("defra_waste").release("https://x/LA_and_Regional_Spreadsheet_201718_rev2.xlsx") == "2017-18"
    with pytest.raises(ValueError, match="YYYY-MM"):
        dsets.ranges_from_params({"month_from": "2025-13"}, __import__("datetime").date(2026, 1, 1))


# --- NOMIS: paging, idempotency, supersession, truncation, errors, timeouts -------------


def test_claimant_count_is_paged_past_the_cell_cap_loaded_and_idempotent(warehouse, sources):
    result = refresh_dataset(warehouse, "nomis_claimant_count", ranges(("2025-01", "2025-03")), policy=FAST)
    assert (result.outcome, result.status, result.validation) == ("loaded", "loaded", "pass"), result.message
    assert result.rows_loaded == 36 * 3 * 2
    pages = sources.requests_to(NOMIS_PATH + "NM_162_1")
    assert len(pages) == 5  # 216 records, 50 a page
    assert [p.split("RecordOffset=")[1].split("&")[0] for p in pages[1:]] == ["50", "100", "150", "200"]

    ((sub_id, status, outcome, rows),) = ledger(warehouse, "nomis_claimant_count", "2025-01/2025-03")
    assert (status, outcome, rows) == ("loaded", "pass", 216)
    loaded = raw_rows(warehouse, sub_id)
    assert len({r[0] for r in loaded}) == 36 and {r[1] for r in loaded} == {"2025-01", "2025-02", "2025-03"}
    assert {r[2] for r in loaded} == {"econ_claimant_count", "econ_claimant_rate"}
    rates = [float(r[3]) for r in loaded if r[2] == "econ_claimant_rate" and r[0] not in dsets.AGGREGATE_AREAS]
    assert min(rates) > 1.5 and max(rates) < 7.5
    checks = checks_of(warehouse, sub_id)
    assert checks["no_truncation"][:2] == ("pass", "all 216 records declared by RECORD_COUNT received")
    assert {c: v[0] for c, v in checks.items()} == dict.fromkeys(checks, "pass") and len(checks) == 9
    with connect(warehouse, role="loader") as conn:
        attempts = conn.execute(
            "select outcome, submission_id from ops.fetch_attempts where subject = %s and period = %s",
            ["nomis_claimant_count", "2025-01/2025-03"],
        ).fetchall()
    assert attempts == [("received", sub_id)] * 5

    again = refresh_dataset(warehouse, "nomis_claimant_count", ranges(("2025-01", "2025-03")), policy=FAST)
    assert (again.outcome, again.submission_id, again.is_new) == ("unchanged", sub_id, False)
    assert len(ledger(warehouse, "nomis_claimant_count", "2025-01/2025-03")) == 1
    assert len(raw_rows(warehouse, sub_id)) == 216


def _revise(folder: Path, area: str, month: str, measure: str, value: str) -> None:
    path = folder / "nomis" / "NM_162_1.data.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = [unquoted(h) for h in raw_fields(lines[0])]
    for i, line in enumerate(lines[1:], start=1):
        f = raw_fields(line) if line else []
        if (
            f
            and unquoted(f[header.index("GEOGRAPHY_CODE")]) == area
            and unquoted(f[header.index("DATE_CODE")]) == month
            and f[header.index("MEASURE")] == measure
        ):
            f[header.index("OBS_VALUE")] = value
            lines[i] = ",".join(f)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_a_revised_answer_supersedes_the_older_and_keeps_its_history(warehouse, sources, tmp_path):
    first = refresh_dataset(warehouse, "nomis_claimant_count", ranges(("2025-04", "2025-06")), policy=FAST)
    assert first.status == "loaded", first.message
    revised = tmp_path / "revised"
    shutil.copytree(FIXTURES, revised)
    _revise(revised, "E08000025", "2025-06", "1", "41234")  # NOMIS revises Birmingham's June count
    sources.folder = revised
    second = refresh_dataset(warehouse, "nomis_claimant_count", ranges(("2025-04", "2025-06")), policy=FAST)
    assert (second.outcome, second.status, second.is_new) == ("loaded", "loaded", True), second.message
    history = ledger(warehouse, "nomis_claimant_count", "2025-04/2025-06")
    assert [(s, st) for s, st, *_ in history] == [(first.submission_id, "superseded"), (second.submission_id, "loaded")]
    # History stays: both answers' rows are in raw, each tagged with its submission.
    old = {(a, p, m): v for a, p, m, v, _ in raw_rows(warehouse, first.submission_id)}
    new = {(a, p, m): v for a, p, m, v, _ in raw_rows(warehouse, second.submission_id)}
    assert len(old) == len(new) == 216
    assert new[("E08000025", "2025-06", "econ_claimant_count")] == 41234
    assert old[("E08000025", "2025-06", "econ_claimant_count")] != 41234


def test_an_answer_that_cannot_be_paged_fails_validation_as_truncated(warehouse, sources):
    sources.ignore_offset = True  # the source returns the first page again
    result = refresh_dataset(warehouse, "nomis_claimant_count", ranges(("2025-07", "2025-09")), policy=FAST)
    assert (result.outcome, result.status, result.validation) == ("rejected", "rejected", "fail")
    ((sub_id, status, outcome, rows),) = ledger(warehouse, "nomis_claimant_count", "2025-07/2025-09")
    assert (status, outcome, rows) == ("rejected", "fail", 0)
    checks = checks_of(warehouse, sub_id)
    outcome, message, _, _ = checks["no_truncation"]
    assert outcome == "fail"
    assert message.startswith("truncated: the source declared RECORD_COUNT 216 but 50 records were received")
    assert "does not page" in message
    assert checks["areas_complete"][0] == "fail"  # and it says which areas never arrived
    assert raw_rows(warehouse, sub_id) == []
    from councilbench.core import settings

    assert list((settings.state_path("quarantine") / "nomis_claimant_count" / "2025-07--2025-09").iterdir())


def test_a_server_error_is_retried_then_recorded_and_nothing_is_loaded(warehouse, sources):
    sources.fail(NOMIS_PATH + "NM_2002_1")
    result = refresh_dataset(warehouse, "nomis_population", ranges(years=("2019", "2019")), policy=FAST)
    assert result.outcome == "error"
    assert "HTTP 500" in result.message and "gave up after 3 attempts" in result.message
    assert len(sources.requests_to(NOMIS_PATH + "NM_2002_1")) == 3
    assert ledger(warehouse, "nomis_population", "2019/2019") == []
    with connect(warehouse, role="loader") as conn:
        attempts = conn.execute(
            "select outcome, http_status, message, submission_id from ops.fetch_attempts"
            " where subject = 'nomis_population' and period = '2019/2019'"
        ).fetchall()
    assert attempts == [("error", None, "HTTP 500 from the source (gave up after 3 attempts)", None)]


def test_a_slow_answer_times_out_and_is_retried(warehouse, sources):
    sources.delay(NOMIS_PATH + "NM_2002_1", seconds=1.5, times=1)  # read timeout is 0.5 s
    result = refresh_dataset(warehouse, "nomis_population", ranges(years=("2019", "2021")), policy=FAST)
    assert (result.outcome, result.status, result.rows_loaded) == ("loaded", "loaded", 35 * 3 * 2), result.message
    # 210 records: 5 pages, the first asked twice.
    assert len(sources.requests_to(NOMIS_PATH + "NM_2002_1")) == 6
    with connect(warehouse, role="loader") as conn:
        first = conn.execute(
            "select message from ops.fetch_attempts where subject = 'nomis_population'"
            " and period = '2019/2021' order by attempt_id limit 1"
        ).fetchone()[0]
    assert first.startswith("page 1 of 5 after 2 attempts")
    pops = {(a, m): float(v) for a, p, m, v, _ in raw_rows(warehouse, result.submission_id) if p == "2021"}
    staffs = [
        code
        for code, c in __import__("councilbench.core.catalogue", fromlist=["x"]).councils().items()
        if c.county_code == "E10000028"
    ]
    assert pops[("E10000028", "econ_population_all_ages")] == sum(pops[(d, "econ_population_all_ages")] for d in staffs)
    assert 5_500_000 < pops[("E12000005", "econ_population_all_ages")] < 6_500_000


# --- DEFRA: the published spreadsheet ----------------------------------------------------


def test_defra_ods_and_xlsx_read_the_same_rows():
    from councilbench.public.spreadsheet import read_observations

    ds, known = dsets.get("defra_waste"), dsets.known_areas()
    ods, info = read_observations(ds, FIXTURES / DEFRA_ODS, known)
    xlsx, _ = read_observations(ds, FIXTURES / DEFRA_XLSX, known)

    def key(rows):
        return [(r["row_number"], r["area_code"], r["period"], r["value"], r["obs_status"]) for r in rows]

    assert key(ods) == key(xlsx)
    assert info["header_row"] == 4 and info["rows_out_of_scope"] == 15  # Derby, Nottingham, Camden x 5 years
    england = [r for r in ods if r["area_code"] == "E92000001" and r["period"] == "2023-24"]
    assert england and 30 < england[0]["value"] < 60  # fraction published, percent held


def test_defra_spreadsheet_loads_and_a_conditional_refetch_is_unchanged(warehouse, sources):
    result = refresh_dataset(warehouse, "defra_waste", policy=FAST)
    # Loaded now, or already by the DAG test earlier in the session (then a 304).
    assert (result.period, result.status) == ("2023-24", "loaded"), result.message
    assert result.outcome == "loaded" or sources.requests_to("/files/") == ["/files/" + DEFRA_ODS]
    ((sub_id, status, outcome, rows_loaded),) = ledger(warehouse, "defra_waste", "2023-24")
    assert (sub_id, status, outcome, rows_loaded) == (result.submission_id, "loaded", "warn", 175)
    checks = checks_of(warehouse, result.submission_id)
    assert checks["suppressed"][0] == "warn" and "Tamworth" in checks["suppressed"][1]
    rows = raw_rows(warehouse, result.submission_id)
    assert {r[0] for r in rows} >= set(dsets.expected_areas(dsets.get("defra_waste")))
    assert ("E07000199", "2019-20", "waste_defra_household_recycling_rate", None, "[x]") in rows

    again = refresh_dataset(warehouse, "defra_waste", policy=FAST)
    assert (again.outcome, again.submission_id, again.status) == ("unchanged", sub_id, "loaded")  # 304
    with connect(warehouse, role="loader") as conn:
        last = conn.execute(
            "select outcome, http_status from ops.fetch_attempts where subject = 'defra_waste'"
            " and period = '2023-24' order by attempt_id desc limit 1"
        ).fetchone()
    assert last == ("unchanged", 304)


def _edited_defra(folder: Path, name: str, edit) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(FIXTURES / DEFRA_XLSX)
    edit(wb["Table_3"])
    path = folder / "defra" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_a_layout_change_fails_loudly_naming_the_column(warehouse, tmp_path, monkeypatch):
    def rename(ws):
        ws["H4"] = "Recycling rate (%)"

    _edited_defra(tmp_path, "LA_and_Regional_Spreadsheet_2022-23.xlsx", rename)
    with SourceServer(tmp_path) as srv:
        monkeypatch.setenv("COUNCILBENCH_DEFRA_WASTE_URL", srv.url("defra/LA_and_Regional_Spreadsheet_2022-23.xlsx"))
        result = refresh_dataset(warehouse, "defra_waste", policy=FAST)
    assert (result.period, result.status) == ("2022-23", "rejected")
    checks = checks_of(warehouse, result.submission_id)
    assert list(checks) == ["readable"]
    outcome, message, *_ = checks["readable"]
    assert outcome == "fail"
    assert f"column '{RECYCLING_HEADER}' not found" in message
    assert "headers found in row 4: Year, Region, ONS code, JPP order, Authority, Authority type" in message
    assert "Recycling rate (%)" in message
    assert raw_rows(warehouse, result.submission_id) == []


def test_an_unknown_area_code_fails_validation_naming_it(warehouse, tmp_path, monkeypatch):
    def recode(ws):
        for row in ws.iter_rows(min_row=5):
            if row[0].value == "2023-24" and row[2].value == "E08000025":
                row[2].value = "E08000099"  # a code the registry does not know

    _edited_defra(tmp_path, "LA_and_Regional_Spreadsheet_2021-22.xlsx", recode)
    with SourceServer(tmp_path) as srv:
        monkeypatch.setenv("COUNCILBENCH_DEFRA_WASTE_URL", srv.url("defra/LA_and_Regional_Spreadsheet_2021-22.xlsx"))
        result = refresh_dataset(warehouse, "defra_waste", policy=FAST)
    assert result.status == "rejected"
    checks = checks_of(warehouse, result.submission_id)
    outcome, message, count, failing = checks["area_known"]
    assert outcome == "fail" and count == 1
    assert "E08000099 Birmingham City Council" in message
    assert failing[0]["found"] == "E08000099" and failing[0]["period"] == "2023-24"
    assert checks["areas_complete"][0] == "fail"
    assert "Birmingham City Council (E08000025) 2023-24" in checks["areas_complete"][1]
    assert raw_rows(warehouse, result.submission_id) == []


# --- dbt staging --------------------------------------------------------------------------


def test_staging_models_build_and_keep_the_latest_loaded_values(reference_warehouse, sources, tmp_path):
    from councilbench.warehouse.transform import run_dbt

    wh = reference_warehouse
    revised = tmp_path / "revised"
    shutil.copytree(FIXTURES, revised)
    _revise(revised, "E08000025", "2025-06", "1", "41234")
    # Loads what staging needs (a no-op where an earlier test loaded the same bytes).
    for dataset_id, r, folder in [
        ("nomis_population", ranges(years=("2022", "2024")), FIXTURES),
        ("nomis_claimant_count", ranges(("2025-04", "2025-06")), FIXTURES),
        ("nomis_claimant_count", ranges(("2025-04", "2025-06")), revised),
        ("defra_waste", None, FIXTURES),
    ]:
        sources.folder = folder
        result = refresh_dataset(wh, dataset_id, r, policy=FAST)
        assert result.outcome in ("loaded", "unchanged"), result.message
    built = run_dbt(wh, ["build", "--select", "path:models/staging/public"])
    assert built.success and not built.failures()
    assert any("unit_test" in n["node"] for n in built.nodes)
    with connect(wh, role="transformer") as conn:
        pop = conn.execute(
            "select count(distinct area_code), min(population_16_64::float / population_all_ages),"
            " count(*) filter (where population_all_ages is null) from staging.stg_nomis__population"
            " where year = 2024"
        ).fetchone()
        counties = conn.execute(
            "select area_code from staging.stg_nomis__population where year = 2024 and area_code like 'E10%' order by 1"
        ).fetchall()
        june = conn.execute(
            "select claimant_count from staging.stg_nomis__claimant_count"
            " where area_code = 'E08000025' and period = '2025-06'"
        ).fetchone()
        recycling = conn.execute(
            # The fixture's newest year (the shared warehouse may hold later years that other
            # modules loaded, e.g. the explorer's built warehouse).
            "select financial_year, recycling_rate_pct from staging.stg_defra__household_recycling"
            " where area_code = 'E92000001' and financial_year = '2023-24'"
        ).fetchone()
    assert pop[0] == 35 and 0.5 < pop[1] < 0.7 and pop[2] == 0
    assert [c[0] for c in counties] == ["E10000028", "E10000031", "E10000034"]
    assert june == (41234,)  # the revised answer, not the superseded one
    assert recycling[0] == "2023-24" and 30 < float(recycling[1]) < 60


# --- the demo hook ------------------------------------------------------------------------


def test_demo_sources_serve_what_the_dag_asks_for_by_default(warehouse, tmp_path, monkeypatch):
    from datetime import date

    from councilbench.dev.economy_table_samples import FILES
    from councilbench.dev.public_sources import serve_demo_sources
    from councilbench.public.load import refresh_all

    as_of = date(2026, 11, 21)
    with serve_demo_sources(tmp_path / "demo", as_of) as overrides:
        economy_tables = {dsets.get(d).url_env for d in FILES}  # ONS and MHCLG tables, one URL each
        assert set(overrides) == {dsets.NOMIS_BASE_URL_ENV, "COUNCILBENCH_DEFRA_WASTE_URL", "COUNCILBENCH_GPG_URL"} | (
            economy_tables
        )
        for key, value in overrides.items():
            monkeypatch.setenv(key, value)
        results = refresh_all(warehouse, dsets.default_ranges(as_of), policy=FAST)
    assert [(r.dataset_id, r.period, r.status) for r in results[:2]] == [
        ("nomis_claimant_count", "2025-11/2026-10", "loaded"),
        ("nomis_population", "2023/2025", "loaded"),
    ], [r.message for r in results]
    by_id = {r.dataset_id: (r.period, r.status) for r in results}
    assert by_id["defra_waste"] == ("2024-25", "loaded")
    assert by_id["nomis_aps_qualifications"] == ("2023/2025", "loaded")  # the economy context too
    assert {r.status for r in results} == {"loaded"}, [(r.dataset_id, r.message) for r in results]
    rates = [
        float(v)
        for a, p, m, v, _ in raw_rows(warehouse, results[0].submission_id)
        if m == "econ_claimant_rate" and a not in dsets.AGGREGATE_AREAS
    ]
    assert min(rates) >= 2.0 and max(rates) <= 7.0
    # Served again from the same folder: the same bytes, so nothing new is landed.
    with serve_demo_sources(tmp_path / "demo", as_of) as overrides:
        for key, value in overrides.items():
            monkeypatch.setenv(key, value)
        again = refresh_all(warehouse, dsets.default_ranges(as_of), ["nomis_claimant_count"], policy=FAST)
    assert (again[0].outcome, again[0].submission_id) == ("unchanged", results[0].submission_id)
