"""The economy context tables (ONS subregional productivity, MHCLG's Indices of
Deprivation 2025, ONS Standard Area Measurements) end to end: served from 127.0.0.1 in
the publishers' layouts (tests/fixtures/public/ons, .../mhclg), landed, validated by real
Great Expectations (expectations/public_productivity.json, _deprivation, _land_area) and
loaded into the session warehouse; a changed layout is rejected naming what is missing.

Files edited by a test (a layout change) are rejected, so they never supersede the
fixtures' loads that other modules' tests build on; edits that must still load are
compared at the reader, which is what the lifecycle's parse step runs.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from councilbench.dev.economy_table_samples import FILES, served_urls
from councilbench.dev.public_samples import areas
from councilbench.dev.public_server import SourceServer
from councilbench.ingest.fetch import RetryPolicy
from councilbench.public import datasets as dsets
from councilbench.public.load import refresh_dataset
from councilbench.public.spreadsheet import LayoutError, read_observations
from councilbench.warehouse.connection import connect
from public_rows import checks_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "public"
FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=2, read_timeout=5)
YEARS = [str(y) for y in range(2004, 2024)]
GBP, INDEX = "econ_gva_per_hour_gbp", "econ_gva_per_hour_index"
RANK, SHARE = "econ_imd_rank_avg_score", "econ_imd_share_most_deprived_10pct"
LAND = "econ_land_area_hectares"
COUNTIES = {"E10000028", "E10000031", "E10000034"}


@pytest.fixture(scope="module")
def fixture_server():
    with SourceServer(FIXTURES) as srv:
        yield srv


@pytest.fixture
def served(fixture_server, monkeypatch):
    for env, url in served_urls(fixture_server).items():
        monkeypatch.setenv(env, url)
    return fixture_server


def loaded_rows(warehouse, submission_id: int) -> dict[tuple, tuple]:
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            "select area_code, period, measure, value, obs_status from raw.public_observations where submission_id = %s",
            [submission_id],
        ).fetchall()
    return {(a, p, m): (float(v) if v is not None else None, s) for a, p, m, v, s in rows}


def load(warehouse, dataset_id: str):
    result = refresh_dataset(warehouse, dataset_id, policy=FAST)
    # Loaded now, or already (the same bytes) by an earlier test of the session.
    assert result.outcome in ("loaded", "unchanged") and result.status == "loaded", result.message
    return result, loaded_rows(warehouse, result.submission_id), checks_of(warehouse, result.submission_id)


# --- each table loads -----------------------------------------------------------------


def test_productivity_by_district_loads_every_year_and_keeps_a_suppressed_cell(warehouse, served):
    result, rows, checks = load(warehouse, "ons_productivity_lad")
    lads = set(dsets.expected_areas(dsets.get("ons_productivity_lad")))
    assert len(lads) == 30 and not lads & COUNTIES  # a county is no district
    assert len(rows) == 30 * len(YEARS) * 2 and {k[0] for k in rows} == lads and {k[1] for k in rows} == set(YEARS)
    assert result.period == "latest"  # the current edition: a revision supersedes it
    # Tamworth's 2004 pounds were not published: kept as suppressed, a warning, not a failure.
    assert rows[("E07000199", "2004", GBP)] == (None, "[x]")
    assert checks["suppressed"][0] == "warn" and "Tamworth" in checks["suppressed"][1]
    assert {c: o for c, (o, _) in checks.items() if c != "suppressed"} == dict.fromkeys(
        set(checks) - {"suppressed"}, "pass"
    )
    # Values from the sheet titled for each measure, whatever its tab: pounds and index agree.
    birmingham = rows[("E08000025", "2023", GBP)][0], rows[("E08000025", "2023", INDEX)][0]
    assert 30 < birmingham[0] < 40 and 84 < birmingham[1] < 92
    assert rows[("E07000222", "2023", INDEX)][0] > 100 > rows[("E08000028", "2023", INDEX)][0]  # Warwick, Sandwell


def test_productivity_by_itl_region_gives_the_counties_the_region_and_the_uk(warehouse, served):
    _, rows, checks = load(warehouse, "ons_productivity_itl")
    assert {k[0] for k in rows} == COUNTIES | {dsets.REGION_CODE, dsets.UK_CODE}  # TLG24, TLG13, TLG12, TLG, UK
    assert len(rows) == 5 * len(YEARS) * 2 and {o for o, _ in checks.values()} == {"pass"}
    assert all(rows[(dsets.UK_CODE, y, INDEX)][0] == 100.0 for y in YEARS)
    assert rows[("E10000031", "2023", INDEX)][0] > 100 > rows[("E10000028", "2023", INDEX)][0]  # Warwickshire, Staffs
    assert 80 < rows[(dsets.REGION_CODE, "2023", INDEX)][0] < 95


def test_deprivation_by_district_and_upper_tier(warehouse, served):
    result, lad, checks = load(warehouse, "mhclg_iod_lad")
    assert result.period == "2025" and {k[1] for k in lad} == {"2025"}
    assert len(lad) == 30 * 3 and {o for o, _ in checks.values()} == {"pass"}
    assert checks["ranks_whole"][1] == "every rank a whole number from 1 to 296"
    assert lad[("E08000025", "2025", RANK)][0] == 7 and lad[("E08000025", "2025", SHARE)][0] == pytest.approx(43.1)
    most = sorted(lad[(a, "2025", RANK)][0] for a in ("E08000025", "E08000028", "E06000021", "E08000031", "E08000030"))
    least = [lad[(a, "2025", RANK)][0] for a in ("E07000221", "E07000222", "E07000234", "E07000194")]
    assert max(most) < 30 and min(least) > 240  # Birmingham .. Walsall most deprived; Stratford .. Lichfield least
    _, utla, checks = load(warehouse, "mhclg_iod_utla")
    assert {k[0] for k in utla} == COUNTIES and len(utla) == 9  # the mets' and unitaries' upper-tier rows left out
    assert all(1 <= utla[(c, "2025", RANK)][0] <= 153 for c in COUNTIES)


def test_land_area_from_the_zip_of_csvs_gives_density(warehouse, served):
    result, rows, checks = load(warehouse, "ons_land_area")
    assert result.period == "2024" and {k[1] for k in rows} == {"2024"}  # DEC_2024 in the names
    assert {k[0] for k in rows} == set(dsets.expected_areas(dsets.get("ons_land_area")))  # 33 councils, region, England
    assert {o for o, _ in checks.values()} == {"pass"}
    population = {a.code: a.population for a in areas()}
    density = {code: population[code] / rows[(code, "2024", LAND)][0] for code in ("E08000025", "E06000051")}
    assert 40 < density["E08000025"] < 48 and 0.8 < density["E06000051"] < 1.3  # Birmingham, Shropshire per hectare
    staffordshire = [a.code for a in areas() if a.county == "E10000028"]
    assert rows[("E10000028", "2024", LAND)][0] == pytest.approx(sum(rows[(d, "2024", LAND)][0] for d in staffordshire))


# --- a changed layout is rejected, naming what is missing ----------------------------------


def _edit_xlsx(source: Path, target: Path, edit) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(source)
    edit(wb)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


def _rejected(warehouse, monkeypatch, folder: Path, dataset_id: str) -> str:
    """Serve folder's copy at the dataset's address; the load must be rejected as unreadable."""
    with SourceServer(folder) as srv:
        monkeypatch.setenv(dsets.get(dataset_id).url_env, srv.url(FILES[dataset_id]))
        result = refresh_dataset(warehouse, dataset_id, policy=FAST)
    assert (result.outcome, result.status, result.rows_loaded) == ("rejected", "rejected", 0), result.message
    checks = checks_of(warehouse, result.submission_id)
    assert list(checks) == ["readable"] and checks["readable"][0] == "fail"
    assert loaded_rows(warehouse, result.submission_id) == {}
    return checks["readable"][1]


def test_a_renamed_header_is_rejected_naming_the_column(warehouse, tmp_path, monkeypatch):
    def rename(wb):
        wb["A3"]["B5"] = "Area code"

    _edit_xlsx(FIXTURES / FILES["ons_productivity_lad"], tmp_path / FILES["ons_productivity_lad"], rename)
    message = _rejected(warehouse, monkeypatch, tmp_path, "ons_productivity_lad")
    assert "sheet 'A3': column 'LAD Code' not found (nor 'LAD code', 'LAD24CD')" in message
    assert "headers found in row 5: ITL1 Region, Area code, LAD Name, 2004, 2005" in message


def test_a_missing_sheet_is_rejected_naming_the_title_and_the_sheets_found(warehouse, tmp_path, monkeypatch):
    def drop(wb):
        del wb["A3"]

    _edit_xlsx(FIXTURES / FILES["ons_productivity_itl"], tmp_path / FILES["ons_productivity_itl"], drop)
    message = _rejected(warehouse, monkeypatch, tmp_path, "ons_productivity_itl")
    assert "no table titled 'Nominal (smoothed) GVA per hour worked (£)'" in message
    assert "(nor 'Current Price (smoothed) GVA (B) per hour worked (£)')" in message
    assert "the title is there but sheet 'Contents': no header row found" in message  # a contents page is no table
    assert "'A4' (Table A4: Nominal (unsmoothed) GVA per hour worked (£)" in message


def test_a_renamed_deprivation_sheet_and_a_missing_zip_member_are_rejected(
    warehouse, fixture_server, tmp_path, monkeypatch
):
    def rename(wb):
        wb["IMD"].title = "Index of Multiple Deprivation"

    _edit_xlsx(FIXTURES / FILES["mhclg_iod_lad"], tmp_path / FILES["mhclg_iod_lad"], rename)
    message = _rejected(warehouse, monkeypatch, tmp_path, "mhclg_iod_lad")
    assert "sheet 'IMD' not found; sheets found: Notes, Index of Multiple Deprivation, Income" in message

    zipped = tmp_path / FILES["ons_land_area"]
    zipped.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(FIXTURES / FILES["ons_land_area"]) as source, zipfile.ZipFile(zipped, "w") as target:
        for name in source.namelist():
            if "_CTY_" not in name:
                target.writestr(name, source.read(name))
    message = _rejected(warehouse, monkeypatch, tmp_path, "ons_land_area")
    assert "no CSV of counties in the zip" in message
    assert "CSV files found: SAM_LAD_DEC_2024_UK.csv, SAM_RGN_DEC_2024_EN.csv, SAM_CTRY_DEC_2024_UK.csv" in message

    # The published address again answers 304: that means "what was fetched from there",
    # the loaded release, not the rejected file that came from elsewhere since.
    for env, url in served_urls(fixture_server).items():
        monkeypatch.setenv(env, url)
    again = refresh_dataset(warehouse, "ons_land_area", policy=FAST)
    assert (again.outcome, again.status) == ("unchanged", "loaded"), again.message


# --- ... and a reordered one still reads the same -------------------------------------------


def _read(dataset_id: str, path: Path) -> set[tuple]:
    observations, _ = read_observations(dsets.get(dataset_id), path, dsets.known_areas())
    return {(o["area_code"], o["period"], o["measure"], o["value"], o["obs_status"]) for o in observations}


def test_reordered_and_renamed_sheets_and_reordered_columns_read_the_same(tmp_path):
    def shuffle(wb):
        for old, new in (("A1", "Index"), ("A3", "Pounds"), ("Contents", "Tables")):
            wb[old].title = new
        wb._sheets.reverse()  # openpyxl has no public way to reorder every sheet
        ws = wb["Pounds"]  # name before code
        for row in ws.iter_rows(min_row=5):
            row[1].value, row[2].value = row[2].value, row[1].value

    path = tmp_path / "ladproductivity.xlsx"
    _edit_xlsx(FIXTURES / FILES["ons_productivity_lad"], path, shuffle)
    assert _read("ons_productivity_lad", path) == _read(
        "ons_productivity_lad", FIXTURES / FILES["ons_productivity_lad"]
    )

    def move_columns(wb):
        ws = wb["IMD"]
        ws.move_range("G1:G400", cols=3)  # the share of LSOAs to the far right
        ws.insert_cols(1)  # a new first column

    path = tmp_path / "iod.xlsx"
    _edit_xlsx(FIXTURES / FILES["mhclg_iod_lad"], path, move_columns)
    assert _read("mhclg_iod_lad", path) == _read("mhclg_iod_lad", FIXTURES / FILES["mhclg_iod_lad"])


def test_the_zip_members_are_found_by_name_wherever_they_are(tmp_path):
    zipped = tmp_path / "sam.zip"
    with zipfile.ZipFile(FIXTURES / FILES["ons_land_area"]) as source, zipfile.ZipFile(zipped, "w") as target:
        for name in reversed(source.namelist()):
            target.writestr(f"SAM_2024/{name}", source.read(name))
    assert _read("ons_land_area", zipped) == _read("ons_land_area", FIXTURES / FILES["ons_land_area"])
    shutil.copy(FIXTURES / FILES["ons_productivity_lad"], tmp_path / "not-a-zip.zip")
    with pytest.raises(LayoutError, match="a zip of CSV files was expected, the file is XLSX"):
        _read("ons_land_area", tmp_path / "not-a-zip.zip")
