"""The economy context on NOMIS (issue 17), configured not coded: the claimant count's
18-24 band (NM_162_1), APS level 4+ qualifications (NM_17_5) and UK Business Counts
(NM_142_1, NM_141_1), fetched from the NOMIS-like server on 127.0.0.1 (published layout,
tests/fixtures/public/nomis) through the one ingest lifecycle into a real Postgres,
checked by each dataset's GX suite.

Each test asks for ranges no other test module asks for, so the ledger rows are its own.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from councilbench.dev.public_server import SourceServer
from councilbench.ingest.fetch import RetryPolicy
from councilbench.public import checks, nomis
from councilbench.public import datasets as dsets
from councilbench.public.load import refresh_dataset
from public_rows import checks_of, raw_rows

FIXTURES = Path(__file__).parents[1] / "fixtures" / "public"
FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=2, read_timeout=5)
CELL_CAP = 400
MONTHS = dsets.Ranges("2025-01", "2025-03", "2020", "2023")  # APS on both sides of the 2022 break
BUSINESS_YEARS = dsets.Ranges("2025-01", "2025-03", "2019", "2021")


@pytest.fixture(scope="module")
def nomis_server():
    with SourceServer(FIXTURES, cell_cap=CELL_CAP) as srv:
        yield srv


@pytest.fixture
def sources(nomis_server, monkeypatch):
    nomis_server.clear()
    monkeypatch.setenv(dsets.NOMIS_BASE_URL_ENV, nomis_server.base_url)
    return nomis_server


@pytest.mark.parametrize(
    ("dataset_id", "ranges", "rows", "validation"),
    [
        ("nomis_claimant_count_18_24", MONTHS, 36 * 3 * 2, "pass"),  # 33 councils, region, England, UK
        ("nomis_business_enterprises", BUSINESS_YEARS, 36 * 3 * 10, "pass"),  # 6 metrics, 4 manufacturing bands
        ("nomis_business_local_units", BUSINESS_YEARS, 36 * 3 * 10, "pass"),
    ],
)
def test_claimant_18_24_and_business_counts_load_every_area(warehouse, sources, dataset_id, ranges, rows, validation):
    result = refresh_dataset(warehouse, dataset_id, ranges, policy=FAST)
    assert (result.outcome, result.status, result.validation) == ("loaded", "loaded", validation), result.message
    assert result.rows_loaded == rows
    loaded = raw_rows(warehouse, result.submission_id)
    ds = dsets.get(dataset_id)
    assert {r[0] for r in loaded} == set(dsets.expected_areas(ds)) and dsets.UK_CODE in {r[0] for r in loaded}
    assert set(dsets.metric_ids(ds)) <= {r[2] for r in loaded}
    values = {(a, p, m): float(v) for a, p, m, v, _ in loaded}
    if dataset_id == "nomis_claimant_count_18_24":
        rates = [v for (a, _, m), v in values.items() if m == "econ_claimant_rate_18_24"]
        assert min(rates) > 1 and max(rates) < 20
    else:
        kind = "enterprises" if dataset_id.endswith("enterprises") else "local_units"
        total = values[("E08000025", "2021", f"econ_{kind}_total")]
        bands = sum(values[("E08000025", "2021", f"econ_{kind}_{b}")] for b in ("micro", "small", "medium", "large"))
        assert 30_000 < total < 60_000 and abs(bands - total) <= 10
        assert values[("E12000005", "2021", f"econ_{kind}_total")] > 150_000  # the region: no council upper bound
    assert checks_of(warehouse, result.submission_id)["areas_complete"][0] == "pass"


def test_aps_is_paged_kept_apart_and_keeps_a_suppressed_value(warehouse, sources):
    result = refresh_dataset(warehouse, "nomis_aps_qualifications", MONTHS, policy=FAST)
    # Suppressed at the source is a warning, never a failure: the dataset loads.
    assert (result.outcome, result.status, result.validation) == ("loaded", "loaded", "warn"), result.message
    # 36 areas x 4 years x 2 variables x 4 measures, paged past the cell cap.
    assert len(sources.requests_to("/api/v01/dataset/NM_17_5")) == -(-1152 // CELL_CAP)
    checks_found = checks_of(warehouse, result.submission_id)
    assert checks_found["no_truncation"] == ("pass", "all 1152 records declared by RECORD_COUNT received")
    assert checks_found["suppressed"][0] == "warn"
    assert "Malvern Hills (E07000235) 2023-12 econ_qual_rqf4_pct" in checks_found["suppressed"][1]
    assert {c: o for c, (o, _) in checks_found.items() if c != "suppressed"} == dict.fromkeys(
        set(checks_found) - {"suppressed"}, "pass"
    )

    loaded = raw_rows(warehouse, result.submission_id)
    assert ("E07000235", "2023-12", "econ_qual_rqf4_pct", None, "!") in loaded  # null, status kept
    assert ("E07000235", "2023-12", "econ_qual_rqf4_pct__denominator") in {r[:3] for r in loaded}
    # Two series, never spliced: NVQ4+ to 2021, RQF4+ from 2022; the other series' empty
    # cells (NOMIS answers every combination) are not loaded.
    periods = {m: {p for _, p, mm, _, _ in loaded if mm == m} for m in dsets.metric_ids(dsets.get(result.dataset_id))}
    assert periods == {"econ_qual_nvq4_pct": {"2020-12", "2021-12"}, "econ_qual_rqf4_pct": {"2022-12", "2023-12"}}
    assert result.rows_loaded == 36 * 4 * 4
    # Each metric holds its own variable's values only.
    published = _fixture_values("NM_17_5.data.csv", ("VARIABLE", "MEASURES"))
    for area, period, measure, value, _ in loaded:
        metric, _, part = measure.partition("__")
        variable = {"econ_qual_rqf4_pct": "1902", "econ_qual_nvq4_pct": "290"}[metric]
        code = {"": "20599", "numerator": "21001", "denominator": "21002", "confidence": "21003"}[part]
        assert published[(area, period, variable, code)] == ("" if value is None else float(value)), measure


def _fixture_values(name: str, dimensions: tuple[str, ...]) -> dict[tuple, object]:
    with open(FIXTURES / "nomis" / name, newline="", encoding="utf-8") as f:
        return {
            (r["GEOGRAPHY_CODE"], r["DATE_CODE"], *(r[d] for d in dimensions)): (
                float(r["OBS_VALUE"]) if r["OBS_VALUE"] else ""
            )
            for r in csv.DictReader(f)
        }


def test_a_code_named_otherwise_is_rejected_naming_code_and_names(warehouse, tmp_path, monkeypatch):
    (tmp_path / "nomis").mkdir()
    text = (FIXTURES / "nomis" / "NM_162_1.data.csv").read_text(encoding="utf-8")
    assert '"Aged 18-24"' in text
    # NOMIS renumbers its age bands: code 11 is now another band.
    (tmp_path / "nomis" / "NM_162_1.data.csv").write_text(text.replace('"Aged 18-24"', '"Aged 16-24"'))
    with SourceServer(tmp_path) as srv:
        monkeypatch.setenv(dsets.NOMIS_BASE_URL_ENV, srv.base_url)
        result = refresh_dataset(
            warehouse, "nomis_claimant_count_18_24", dsets.Ranges("2025-04", "2025-06", "2020", "2020")
        )
    assert (result.outcome, result.status, result.validation) == ("rejected", "rejected", "fail")
    outcome, message = checks_of(warehouse, result.submission_id)["readable"]
    assert outcome == "fail"
    assert "age code 11 is named 'Aged 16-24'" in message and "expects 'Aged 18-24'" in message
    assert "nomis_claimant_count_18_24" in message and "A wrong code would load another series" in message
    assert raw_rows(warehouse, result.submission_id) == []


def test_the_suites_rules_across_measures_fail_naming_the_cell():
    """APS numerator above its denominator, business size bands not adding up: no warehouse needed."""
    aps, business = dsets.get("nomis_aps_qualifications"), dsets.get("nomis_business_enterprises")
    observations = nomis.read_observations(aps, FIXTURES / "nomis" / "NM_17_5.data.csv")
    for o in observations:
        if (o["area_code"], o["period"], o["measure"]) == ("E08000029", "2023-12", "econ_qual_rqf4_pct__numerator"):
            o["value"], o["raw_value"] = 9_999_999.0, "9999999"
    outcomes = {o.check: o for o in checks.validate(aps, observations)[0]}
    assert outcomes["numerator_within_denominator"].outcome == "fail"
    assert "Solihull (E08000029) 2023-12 econ_qual_rqf4_pct" in outcomes["numerator_within_denominator"].message
    assert "numerator 9999999.0" in outcomes["numerator_within_denominator"].message

    observations = nomis.read_observations(business, FIXTURES / "nomis" / "NM_142_1.data.csv")
    for o in observations:
        if (o["area_code"], o["period"], o["measure"]) == ("E07000237", "2024", "econ_enterprises_micro"):
            o["value"] += 500
    outcomes = {o.check: o for o in checks.validate(business, observations)[0]}
    assert outcomes["bands_add_up"].outcome == "fail"
    assert "Worcester (E07000237) 2024 econ_enterprises_total" in outcomes["bands_add_up"].message
    assert outcomes["manufacturing_within_total"].outcome == "pass"
