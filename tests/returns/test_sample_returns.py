"""Sample council returns, faults, the return template and their commands: real files,
checked at the byte level."""

from __future__ import annotations

import argparse
import collections
import csv
import io
import itertools
import math
import struct
import subprocess
import sys
import time
import zlib

import openpyxl
import pytest

from councilbench.cli import template as template_cli
from councilbench.core import calendar, catalogue
from councilbench.dev import sample_cli
from councilbench.dev import sample_returns as sample
from councilbench.returns import contract, template

COUNCILS = catalogue.councils()
METRICS = catalogue.metrics()
DUDLEY, WARWICK, STAFFORDSHIRE, BIRMINGHAM = "E08000027", "E07000222", "E10000028", "E08000025"


def rows_of(data: bytes, encoding: str = "utf-8") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(encoding), newline="")))


def clean_rows(code: str, month: str) -> list[dict[str, str]]:
    return sample.as_text_rows(sample.generate_return(code, month))


def sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    faults = {DUDLEY: ["xlsx_second_sheet"], WARWICK: ["cp1252_pound", "thousands_separators"]}
    a = sample.write_returns(tmp_path / "a", ["2026-09", "2026-10"], seed=7, faults=faults)
    b = sample.write_returns(tmp_path / "b", ["2026-09", "2026-10"], seed=7, faults=faults)
    c = sample.write_returns(tmp_path / "c", ["2026-09", "2026-10"], seed=8, faults=faults)
    assert len(a) == len(b) == 66
    for pa, pb in zip(a, b, strict=True):
        assert pa.relative_to(tmp_path / "a") == pb.relative_to(tmp_path / "b")
        assert pa.read_bytes() == pb.read_bytes(), pa
    differing = sum(pa.read_bytes() != pc.read_bytes() for pa, pc in zip(a, c, strict=True))
    assert differing == len(a)


def test_a_fresh_process_writes_the_same_bytes(tmp_path):
    """No dependence on hash randomisation, caches or the order things were generated in."""
    here = sample.faulted_bytes(BIRMINGHAM, "2026-03", ["xlsx_second_sheet"], seed=3)
    code = (
        "import sys; from councilbench.dev import sample_returns as sample; "
        f"sys.stdout.buffer.write(sample.faulted_bytes('{BIRMINGHAM}', '2026-03', ['xlsx_second_sheet'], seed=3))"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert here == there


def test_one_month_alone_equals_the_same_month_in_a_history(tmp_path):
    history = sample.write_returns(tmp_path / "h", calendar.months_between("2025-11", "2026-02"), councils=["dudley"])
    alone = sample.write_returns(tmp_path / "one", ["2026-01"], councils=["dudley"])
    assert alone[0].read_bytes() == next(p for p in history if p.name == "2026-01.csv").read_bytes()


# --- layout ----------------------------------------------------------------------------------


def test_files_follow_the_registry_return_source_layout(tmp_path):
    written = sample.write_returns(tmp_path, ["2026-10"])
    assert len(written) == 33
    for council in COUNCILS.values():
        path = tmp_path / council.short_name / "2026-10.csv"
        assert path in written
        assert council.return_uri("2026-10", returns_base_url=str(tmp_path)) == str(path)
        assert rows_of(path.read_bytes())[0]["council_code"] == council.code


def test_councils_by_code_or_short_name_and_bad_input_is_refused(tmp_path):
    written = sample.write_returns(tmp_path, ["2026-10"], councils=["dudley", WARWICK])
    assert sorted(p.parent.name for p in written) == ["dudley", "warwick"]
    with pytest.raises(KeyError, match="unknown fault"):
        sample.write_returns(tmp_path, ["2026-10"], faults={DUDLEY: ["no_such_fault"]})
    with pytest.raises(ValueError, match="not among the councils"):
        sample.write_returns(tmp_path, ["2026-10"], councils=["dudley"], faults={WARWICK: ["bom"]})
    with pytest.raises(KeyError, match="unknown council"):
        sample.generate_return("E99999999", "2026-10")
    with pytest.raises(ValueError, match="YYYY-MM"):
        sample.generate_return(DUDLEY, "2026-13")


def test_a_fault_applies_to_the_last_month_only(tmp_path):
    written = sample.write_returns(
        tmp_path, ["2026-08", "2026-09", "2026-10"], councils=["dudley"], faults={"dudley": ["bom"]}
    )
    starts = {p.name: p.read_bytes()[:3] for p in written}
    assert starts["2026-10.csv"] == b"\xef\xbb\xbf"
    assert starts["2026-08.csv"] == starts["2026-09.csv"] == b"cou"


# --- tiers, periods, required metrics ----------------------------------------------------------


def test_each_council_reports_exactly_its_tiers_metrics_due_that_month():
    for month in ("2026-03", "2026-06", "2026-10"):
        for code, council in COUNCILS.items():
            rows = sample.generate_return(code, month)
            due = {
                m.metric_id: contract.expected_period(m.frequency, month)
                for m in catalogue.return_metrics_for(council.tier)
                if contract.expected_period(m.frequency, month)
            }
            assert {r["metric_id"]: r["period"] for r in rows} == due
            assert len(rows) == len(due)  # one row per metric
            assert all(r["council_code"] == code for r in rows)
            assert list(rows[0]) == list(contract.COLUMNS)


def test_districts_have_no_social_care_and_counties_no_bins():
    district = {r["metric_id"] for r in sample.generate_return(WARWICK, "2026-03")}
    county = {r["metric_id"] for r in sample.generate_return(STAFFORDSHIRE, "2026-03")}
    assert not any(m.startswith(("asc_", "cs_", "roads_")) for m in district)
    assert "waste_fly_tipping_incidents" in district and "fin_council_tax_collection_rate" in district
    assert (
        not {
            "waste_missed_collections_per_100k",
            "waste_fly_tipping_incidents",
            "waste_household_recycling_rate",
            "fin_council_tax_collection_rate",
            "housing_temporary_accommodation_per_1000",
        }
        & county
    )
    assert "asc_direct_payments_pct" in county and "roads_potholes_repaired" in county


def test_quarterly_metrics_only_at_quarter_ends_and_annual_only_in_march():
    for month in calendar.months_between("2025-04", "2026-03"):
        for r in sample.generate_return(BIRMINGHAM, month):
            freq = METRICS[r["metric_id"]].frequency
            if freq == "quarterly":
                assert month[5:] in ("03", "06", "09", "12")
                assert contract.QUARTER_RE.match(r["period"]) and r["period"] == f"{month[:4]}-Q{int(month[5:]) // 3}"
            elif freq == "annual":
                assert month[5:] == "03" and r["period"] == "2025-26"
            else:
                assert r["period"] == month


def test_values_inside_bounds_consistent_and_typed_over_three_years():
    statuses = collections.Counter()
    for code in COUNCILS:
        for month in calendar.months_between("2023-04", "2026-03"):
            for r in sample.generate_return(code, month):
                m = METRICS[r["metric_id"]]
                statuses[r["status"]] += 1
                assert r["status"] in contract.STATUSES
                if r["status"] == "not_available":
                    assert r["value"] is None and r["numerator"] is None and r["note"].strip()
                    assert not m.required, r
                    continue
                v = r["value"]
                assert m.lower_bound <= v <= m.upper_bound, r
                if m.value_type in ("count", "amount"):
                    assert isinstance(v, int) and r["numerator"] is None and r["denominator"] is None, r
                    if m.lower_bound == 0:
                        assert v > 0 and v < m.upper_bound, r  # strictly inside
                else:
                    num, den = r["numerator"], r["denominator"]
                    assert den > 0, r
                    assert abs(v - m.scale * num / den) <= 0.005 + 1e-9, r
                    assert v == round(v, 2)
                    if m.value_type == "proportion" and m.upper_bound <= m.scale and m.lower_bound >= 0:
                        assert 0 <= num <= den, r
    assert statuses["estimate"] > 0 and statuses["not_available"] > 0
    assert statuses["actual"] > 0.9 * sum(statuses.values())


def test_required_metrics_are_always_present_with_a_value():
    for code, council in COUNCILS.items():
        for month in ("2026-01", "2026-03", "2026-06"):
            rows = {r["metric_id"]: r for r in sample.generate_return(code, month)}
            for m in catalogue.return_metrics_for(council.tier):
                if m.required and contract.expected_period(m.frequency, month):
                    assert rows[m.metric_id]["value"] is not None, (code, month, m.metric_id)


def test_councils_without_housing_stock_say_so():
    rows = {r["metric_id"]: r for r in sample.generate_return("E07000221", "2026-10")}  # Stratford: no stock
    assert rows["housing_average_relet_days"]["status"] == "not_available"
    assert "housing stock" in rows["housing_average_relet_days"]["note"]
    rows = {r["metric_id"]: r for r in sample.generate_return(BIRMINGHAM, "2026-10")}
    assert rows["housing_rent_collected_pct"]["value"] is not None


# --- realism -----------------------------------------------------------------------------------


def value(code: str, month: str, metric_id: str):
    return next(r["value"] for r in sample.generate_return(code, month) if r["metric_id"] == metric_id)


def test_sizes_follow_the_population_table():
    pops = {code: sample.area(code).population for code in COUNCILS}
    assert max(pops, key=pops.get) == BIRMINGHAM and 1_100_000 < pops[BIRMINGHAM] < 1_200_000
    for code, council in COUNCILS.items():
        if council.tier == "county":
            assert 550_000 < pops[code] < 950_000
        elif council.tier == "district":
            assert 60_000 < pops[code] < 160_000
    fte = {code: value(code, "2026-10", "wf_fte_employees") for code in COUNCILS}
    assert max(fte, key=fte.get) == BIRMINGHAM
    assert min(fte.values()) == min(fte[c] for c, k in COUNCILS.items() if k.tier == "district")


def test_vacant_retail_units_worsen_for_most_councils():
    reporting = [c for c, k in COUNCILS.items() if k.tier != "county"]
    worse = [
        c
        for c in reporting
        if value(c, "2026-03", "econ_vacant_retail_units_pct") > value(c, "2017-03", "econ_vacant_retail_units_pct")
    ]
    assert len(worse) >= 0.75 * len(reporting)


def test_seasons_fly_tipping_in_summer_sickness_in_winter():
    bins = [c for c, k in COUNCILS.items() if k.tier != "county"]
    summer = sum(value(c, "2025-07", "waste_fly_tipping_incidents") for c in bins)
    winter = sum(value(c, "2025-01", "waste_fly_tipping_incidents") for c in bins)
    assert summer > 1.1 * winter
    jan = sum(value(c, "2025-01", "wf_sickness_days_per_fte") for c in COUNCILS)
    jul = sum(value(c, "2025-07", "wf_sickness_days_per_fte") for c in COUNCILS)
    assert jan > 1.1 * jul


def test_year_to_date_collection_rates_climb_from_april_to_march():
    for code in (BIRMINGHAM, WARWICK, "E06000021"):
        for metric in ("fin_council_tax_collection_rate", "fin_business_rates_collection_rate"):
            year = [value(code, m, metric) for m in calendar.months_between("2025-04", "2026-03")]
            assert year == sorted(year), (code, metric, year)
            assert 8 < year[0] < 14 and 92 < year[-1] < 100


def test_month_on_month_changes_normally_stay_below_the_warning_threshold():
    series = collections.defaultdict(dict)
    for code in COUNCILS:
        for month in calendar.months_between("2023-04", "2026-03"):
            for r in sample.generate_return(code, month):
                if r["value"] is not None:
                    series[(code, r["metric_id"])][r["period"]] = r["value"]
    compared = jumps = 0
    for (_, metric_id), values in series.items():
        threshold = METRICS[metric_id].mom_warn_pct
        if threshold is None:
            continue
        periods = sorted(values)
        for a, b in itertools.pairwise(periods):
            if values[a] == 0:
                continue
            compared += 1
            jumps += abs(values[b] - values[a]) / abs(values[a]) * 100 > threshold
    print(f"month-on-month: {jumps} of {compared} changes beyond the catalogue threshold")
    assert compared > 30_000
    assert jumps / compared < 0.005


# --- faults ------------------------------------------------------------------------------------


def test_fault_catalogue_is_well_formed():
    assert len(sample.FAULTS) >= 22
    for name, fault in sample.FAULTS.items():
        assert fault.name == name and fault.description
        assert fault.outcome in ("rejected", "warning", "accepted")
        assert set(fault.checks) <= set(contract.CHECKS)
        assert bool(fault.checks) == (fault.outcome != "accepted"), name
    outcomes = {n: f.outcome for n, f in sample.FAULTS.items()}
    for accepted in ("bom", "cp1252_pound", "thousands_separators", "percent_signs", "xlsx_second_sheet"):
        assert outcomes[accepted] == "accepted"
    assert outcomes["month_on_month_jump"] == "warning"
    assert sample.FAULTS["month_on_month_jump"].checks == ("month_on_month",)
    for rejected in (
        "empty_file",
        "semicolon_delimiter",
        "suppression_markers",
        "html_error_page",
        "not_a_spreadsheet",
    ):
        assert outcomes[rejected] == "rejected"


def _check_empty(data, clean, code, month):
    assert data == b""


def _check_header_only(data, clean, code, month):
    assert data == b"council_code,period,metric_id,value,numerator,denominator,status,note\r\n"


def _check_semicolon(data, clean, code, month):
    header = data.split(b"\r\n")[0]
    assert header == b"council_code;period;metric_id;value;numerator;denominator;status;note"
    assert list(csv.reader(io.StringIO(data.decode()), delimiter=";"))[1][0] == code


def _check_bom(data, clean, code, month):
    assert data[:3] == b"\xef\xbb\xbf"
    assert rows_of(data[3:]) == clean


def _check_cp1252(data, clean, code, month):
    assert b"\xa3" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = rows_of(data, "cp1252")
    assert any("£1.2m" in r["note"] for r in rows)
    assert [{k: v for k, v in r.items() if k != "note"} for r in rows] == [
        {k: v for k, v in r.items() if k != "note"} for r in clean
    ]


def _check_thousands(data, clean, code, month):
    assert b'"' in data
    rows = rows_of(data)
    with_commas = [r[c] for r in rows for c in ("value", "numerator", "denominator") if "," in r[c]]
    assert with_commas and all(len(w.split(",")[-1].split(".")[0]) == 3 for w in with_commas)
    stripped = [
        {k: (v.replace(",", "") if k in ("value", "numerator", "denominator") else v) for k, v in r.items()}
        for r in rows
    ]
    assert stripped == clean


def _check_percent(data, clean, code, month):
    rows = rows_of(data)
    for r, c in zip(rows, clean, strict=False):
        if c["value"] and METRICS[c["metric_id"]].unit == "percent":
            assert r["value"] == c["value"] + "%"
        else:
            assert r["value"] == c["value"]


def _check_blank_trailing(data, clean, code, month):
    assert data.endswith(b",,,,,,,\r\n" * 3)
    assert rows_of(data)[: len(clean)] == clean


def _check_xlsx_single(data, clean, code, month):
    assert data[:4] == b"PK\x03\x04"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Return"]
    rows = sheet_rows(wb["Return"])
    assert tuple(rows[0]) == contract.COLUMNS
    assert [str(v) if v is not None else "" for v in rows[1][:3]] == [
        clean[0][c] for c in ("council_code", "period", "metric_id")
    ]
    assert len(rows) == len(clean) + 1


def _check_xlsx_second(data, clean, code, month):
    assert data[:4] == b"PK\x03\x04"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Instructions", "Return"]
    first = sheet_rows(wb["Instructions"])
    assert all(contract.COLUMNS[0] not in row for row in first)
    rows = sheet_rows(wb["Return"])
    assert tuple(rows[0]) == contract.COLUMNS
    by_metric = {r[2]: r for r in rows[1:]}
    for c in clean:
        cells = by_metric[c["metric_id"]]
        if c["value"]:
            assert math.isclose(float(cells[3]), float(c["value"]))


def _check_text_in_numeric(data, clean, code, month):
    assert sum(r["value"].startswith("approx ") for r in rows_of(data)) == 1


def _check_suppression(data, clean, code, month):
    values = [r["value"] for r in rows_of(data)]
    assert ".." in values and "n/a" in values


def _check_duplicates(data, clean, code, month):
    rows = rows_of(data)
    counts = collections.Counter(tuple(r.values()) for r in rows)
    assert max(counts.values()) == 2 and len(rows) == len(clean) + 1


def _check_unknown_metric(data, clean, code, month):
    unknown = [r["metric_id"] for r in rows_of(data) if r["metric_id"] not in METRICS]
    assert unknown == ["waste_garden_waste_subscribers"]


def _check_wrong_tier(data, clean, code, month):
    tier = COUNCILS[code].tier
    extra = [r for r in rows_of(data) if not METRICS[r["metric_id"]].delivered_by(tier)]
    assert len(extra) == 1
    m = METRICS[extra[0]["metric_id"]]
    assert m.lower_bound <= float(extra[0]["value"]) <= m.upper_bound  # only the tier is wrong


def _check_other_council(data, clean, code, month):
    codes = {r["council_code"] for r in rows_of(data)}
    assert len(codes) == 1 and codes != {code} and codes <= set(COUNCILS)


def _check_future_period(data, clean, code, month):
    nxt = calendar.add_months(month, 1)
    for r in rows_of(data):
        if METRICS[r["metric_id"]].frequency == "monthly":
            assert r["period"] == nxt


def _check_excel_date(data, clean, code, month):
    assert {r["period"] for r in rows_of(data) if METRICS[r["metric_id"]].frequency == "monthly"} == {"Oct-26"}


def _check_negative_count(data, clean, code, month):
    negatives = [r for r in rows_of(data) if r["value"].startswith("-")]
    assert len(negatives) == 1 and METRICS[negatives[0]["metric_id"]].value_type == "count"


def _check_num_above_den(data, clean, code, month):
    bad = [
        r
        for r in rows_of(data)
        if r["numerator"]
        and float(r["numerator"]) > float(r["denominator"])
        and METRICS[r["metric_id"]].upper_bound <= METRICS[r["metric_id"]].scale
    ]
    assert len(bad) == 1


def _check_out_of_bounds(data, clean, code, month):
    row = next(r for r in rows_of(data) if r["metric_id"] == "fin_invoices_paid_within_30_days_pct")
    assert float(row["value"]) > METRICS[row["metric_id"]].upper_bound and row["numerator"] == ""


def _check_missing_required(data, clean, code, month):
    present = {r["metric_id"] for r in rows_of(data)}
    assert "wf_sickness_days_per_fte" not in present and len(present) == len(clean) - 1


def _check_na_without_reason(data, clean, code, month):
    bad = [r for r in rows_of(data) if r["status"] == "not_available" and not r["note"]]
    assert len(bad) == 1 and METRICS[bad[0]["metric_id"]].required and bad[0]["value"] == ""


def _check_html(data, clean, code, month):
    assert data.lstrip().lower().startswith(b"<!doctype html")
    assert b"<form" in data and b"<title>" in data


def _check_png(data, clean, code, month):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        kinds.append(kind)
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


def _check_mom_jump(data, clean, code, month):
    metric = METRICS[sample.JUMP_METRIC]
    row = next(r for r in rows_of(data) if r["metric_id"] == sample.JUMP_METRIC)
    prev = value(code, calendar.add_months(month, -1), sample.JUMP_METRIC)
    now = float(row["value"])
    assert abs(now - prev) / prev * 100 > metric.mom_warn_pct
    assert metric.lower_bound < now < metric.upper_bound
    assert abs(now - 100 * float(row["numerator"]) / float(row["denominator"])) <= 0.005 + 1e-9
    others = [r for r in rows_of(data) if r["metric_id"] != sample.JUMP_METRIC]
    assert others == [c for c in clean if c["metric_id"] != sample.JUMP_METRIC]


BYTE_CHECKS = {
    "empty_file": _check_empty,
    "header_only": _check_header_only,
    "semicolon_delimiter": _check_semicolon,
    "bom": _check_bom,
    "cp1252_pound": _check_cp1252,
    "thousands_separators": _check_thousands,
    "percent_signs": _check_percent,
    "blank_trailing_rows": _check_blank_trailing,
    "xlsx_single_sheet": _check_xlsx_single,
    "xlsx_second_sheet": _check_xlsx_second,
    "text_in_numeric": _check_text_in_numeric,
    "suppression_markers": _check_suppression,
    "duplicate_rows": _check_duplicates,
    "unknown_metric": _check_unknown_metric,
    "wrong_tier_metric": _check_wrong_tier,
    "other_council_code": _check_other_council,
    "future_period": _check_future_period,
    "excel_date_period": _check_excel_date,
    "negative_count": _check_negative_count,
    "numerator_above_denominator": _check_num_above_den,
    "out_of_bounds": _check_out_of_bounds,
    "missing_required": _check_missing_required,
    "not_available_without_reason": _check_na_without_reason,
    "html_error_page": _check_html,
    "not_a_spreadsheet": _check_png,
    "month_on_month_jump": _check_mom_jump,
}


def test_every_fault_has_a_byte_level_check():
    assert set(BYTE_CHECKS) == set(sample.FAULTS)


@pytest.mark.parametrize("fault", sorted(sample.FAULTS))
@pytest.mark.parametrize("code", [DUDLEY, WARWICK, STAFFORDSHIRE])
def test_fault_produces_what_it_claims(tmp_path, fault, code):
    month = "2026-10"
    if fault == "wrong_tier_metric" and COUNCILS[code].tier == "metropolitan_borough":
        with pytest.raises(sample.FaultNotApplicable):
            sample.faulted_bytes(code, month, [fault])
        return
    written = sample.write_returns(tmp_path, ["2026-09", month], councils=[code], faults={code: [fault]})
    path = tmp_path / COUNCILS[code].short_name / f"{month}.csv"
    assert path == written[-1]  # the URL's name, whatever the content
    BYTE_CHECKS[fault](path.read_bytes(), clean_rows(code, month), code, month)


def test_faults_combine_in_order():
    data = sample.faulted_bytes(DUDLEY, "2026-10", ["percent_signs", "thousands_separators", "bom"])
    assert data[:3] == b"\xef\xbb\xbf"
    rows = rows_of(data[3:])
    assert any(r["value"].endswith("%") for r in rows) and any("," in r["denominator"] for r in rows)


# --- history speed -------------------------------------------------------------------------------


def test_ten_years_of_history_for_33_councils(tmp_path):
    started = time.monotonic()
    written = sample.generate_history(tmp_path, "2016-04", "2026-03")
    seconds = time.monotonic() - started
    size = sum(p.stat().st_size for p in written)
    print(f"history: {len(written)} files, {size / 1e6:.1f} MB in {seconds:.1f} s")
    assert len(written) == 33 * 120
    assert len({p.parent for p in written}) == 33


# --- template ------------------------------------------------------------------------------------


def test_committed_blank_templates_are_up_to_date(tmp_path):
    fresh = template.write_blank_templates(tmp_path)
    assert [p.name for p in fresh] == ["return_template.csv", "return_template.xlsx"]
    assert template.BLANK_CSV.read_bytes() == fresh[0].read_bytes()
    assert template.BLANK_XLSX.read_bytes() == fresh[1].read_bytes(), (
        "regenerate with: python -m councilbench.returns.template"
    )
    assert template.BLANK_CSV.read_bytes() == (",".join(contract.COLUMNS) + "\r\n").encode()


def test_blank_xlsx_template_has_return_instructions_and_metrics():
    wb = openpyxl.load_workbook(template.BLANK_XLSX)
    assert wb.sheetnames == ["Return", "Instructions", "Metrics"]
    assert wb.active.title == "Return"
    assert tuple(sheet_rows(wb["Return"])[0]) == contract.COLUMNS
    assert len(sheet_rows(wb["Return"])) == 1
    text = " ".join(str(c) for row in sheet_rows(wb["Instructions"]) for c in row if c)
    for words in ("not_available", "without the % sign", "2026-Q3", "2025-26", "15th", "councilbench validate"):
        assert words in text, words
    # only the Return sheet may look like a return header (3+ contract column names in a row)
    for name in ("Instructions", "Metrics"):
        for row in sheet_rows(wb[name]):
            assert len({str(c).strip().lower() for c in row if c} & set(contract.COLUMNS)) < 3, (name, row)
    guide = sheet_rows(wb["Metrics"])
    assert {r[0] for r in guide[1:]} == {m.metric_id for m in METRICS.values() if m.from_council_return}


def test_prefilled_template_lists_the_metrics_due_from_that_council(tmp_path):
    csv_path, xlsx_path = template.write_templates(tmp_path, DUDLEY, "2026-09")
    assert csv_path.name == "dudley_2026-09_return.csv"
    expected = [(r["metric_id"], r["period"]) for r in sample.generate_return(DUDLEY, "2026-09")]
    rows = rows_of(csv_path.read_bytes())
    assert [(r["metric_id"], r["period"]) for r in rows] == expected
    assert {r["council_code"] for r in rows} == {DUDLEY}
    # status pre-filled only where the council must give the figure; optional rows say so
    assert {(r["status"], r["note"]) for r in rows if METRICS[r["metric_id"]].required} == {("actual", "")}
    assert {(r["status"], r["note"]) for r in rows if not METRICS[r["metric_id"]].required} == {
        ("", contract.OPTIONAL_ROW_NOTE)
    }
    assert all(r["value"] == "" for r in rows)
    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb["Return"]
    assert [(ws.cell(i, 3).value, ws.cell(i, 2).value) for i in range(2, len(expected) + 2)] == expected
    assert ws.cell(2, 2).number_format == "@"  # Excel keeps 2026-Q3 / 2026-09 as text
    assert METRICS[expected[0][0]].metric_name in ws.cell(2, 3).comment.text
    assert ws.data_validations.dataValidation[0].formula1 == '"actual,estimate,not_available"'
    assert "15 October 2026" in " ".join(str(c) for row in sheet_rows(wb["Instructions"]) for c in row if c)
    with pytest.raises(ValueError):
        template.template_rows(DUDLEY, None)


# --- commands --------------------------------------------------------------------------------------


@pytest.fixture
def parser():
    p = argparse.ArgumentParser(prog="councilbench")
    sub = p.add_subparsers(dest="command", required=True)
    sample_cli.add_command(sub)
    template_cli.add_command(sub)
    return p


def run(parser, argv) -> int:
    args = parser.parse_args(argv)
    return args.func(args)


def test_sample_command_writes_and_reports(parser, tmp_path, capsys):
    code = run(
        parser,
        [
            "sample",
            "--months",
            "2026-09:2026-10",
            "--out",
            str(tmp_path),
            "--council",
            "dudley",
            "--fault",
            "dudley:semicolon_delimiter",
            "--fault",
            "warwick:month_on_month_jump",
            "--seed",
            "2",
        ],
    )
    out = capsys.readouterr().out
    assert code == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv")) == [
        "dudley/2026-09.csv",
        "dudley/2026-10.csv",
        "warwick/2026-09.csv",
        "warwick/2026-10.csv",
    ]
    assert (tmp_path / "dudley" / "2026-10.csv").read_bytes().startswith(b"council_code;period")
    assert "semicolon_delimiter (rejected)" in out and "month_on_month_jump (warning)" in out
    assert "wrote 4 returns for 2 councils" in out


def test_sample_command_lists_faults_and_explains_itself(parser, capsys):
    assert run(parser, ["sample", "--list-faults"]) == 0
    out = capsys.readouterr().out
    for name in sample.FAULTS:
        assert name in out
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["sample", "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    assert "--fault COUNCIL:FAULT" in help_text and "<short_name>/<YYYY-MM>.csv" in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["sample", "--months", "2026-10", "--out", "x", "--fault", "bom"])


def test_sample_command_refuses_an_unknown_fault(parser, tmp_path):
    with pytest.raises(ValueError, match="unknown fault"):
        run(parser, ["sample", "--months", "2026-10", "--out", str(tmp_path), "--fault", "dudley:gremlins"])


def test_template_command(parser, tmp_path, capsys):
    assert run(parser, ["template", "--out", str(tmp_path), "--council", "tamworth", "--period", "2026-03"]) == 0
    assert run(parser, ["template", "--out", str(tmp_path), "--format", "csv"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["return_template.csv", "tamworth_2026-03_return.csv", "tamworth_2026-03_return.xlsx"]
    assert "tamworth_2026-03_return.xlsx" in capsys.readouterr().out
    with pytest.raises(ValueError, match="together"):
        run(parser, ["template", "--out", str(tmp_path), "--council", "tamworth"])


def test_months_parsing():
    assert sample.parse_months("2025-11:2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert sample.parse_months("2026-10") == ["2026-10"]
    assert sample.parse_months("2026-08, 2026-10") == ["2026-08", "2026-10"]
    with pytest.raises(ValueError):
        sample.parse_months("2026-10:2026-01")
    with pytest.raises(ValueError):
        sample.parse_months("October")
