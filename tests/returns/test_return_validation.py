"""validate_return with real Great Expectations: every check, in plain words, row by row.

Each test writes a return in tmp_path: a good one built from the catalogue (every metric
required of the tier this month, plausible values inside the bounds), then one thing
broken. Row numbers are spreadsheet rows: the header is row 1, so rows[i] is row i + 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from councilbench.cli.validate import add_command
from councilbench.core import catalogue
from councilbench.returns.contract import CHECKS, COLUMNS, expected_period
from councilbench.returns.parse import parse_return
from councilbench.returns.report_text import failing_rows_csv, render_text
from councilbench.returns.rules import load_suite_json, value_agreement_words
from councilbench.returns.validate import not_run_checks, validate_return

DUDLEY = "E08000027"  # metropolitan borough: delivers almost everything
CANNOCK = "E07000192"  # district of Staffordshire
MONTH = "2026-10"  # a month with monthly metrics only
TODAY = date(2026, 11, 21)


def good_rows(council_code: str = DUDLEY, month: str = MONTH) -> list[dict]:
    """Every metric required of the council's tier this month, inside its bounds.

    Proportions and means are given as numerator and denominator (value blank, to be
    computed), counts and amounts as value.
    """
    tier = catalogue.councils()[council_code].tier
    rows = []
    for m in catalogue.return_metrics_for(tier):
        period = expected_period(m.frequency, month)
        if not (m.required and period):
            continue
        value = m.lower_bound + (m.upper_bound - m.lower_bound) * 0.3
        row = {
            "council_code": council_code,
            "period": period,
            "metric_id": m.metric_id,
            "value": "",
            "numerator": "",
            "denominator": "",
            "status": "actual",
            "note": "",
        }
        if m.value_type in ("proportion", "mean"):
            row["denominator"] = "2000"
            row["numerator"] = f"{value * 2000 / m.scale:g}"
        else:
            row["value"] = f"{round(value):d}"
        rows.append(row)
    return rows


def write_return(tmp_path: Path, rows: list[dict], name: str = "return.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def row_of(rows: list[dict], metric_id: str) -> tuple[int, dict]:
    """(spreadsheet row number, row) of a metric in the good return."""
    i = next(i for i, r in enumerate(rows) if r["metric_id"] == metric_id)
    return i + 2, rows[i]


def validate(tmp_path, rows, council_code=DUDLEY, month=MONTH, **kw):
    return validate_return(
        write_return(tmp_path, rows), council_code=council_code, return_month=month, today=kw.pop("today", TODAY), **kw
    )


def check(report, name):
    return next(c for c in report.checks if c.check == name)


def failed(report) -> list[str]:
    return [c.check for c in report.failures()]


# --- good returns -------------------------------------------------------------------------


def test_good_return_passes_every_check_and_gives_typed_rows(tmp_path):
    rows = good_rows()
    report = validate(tmp_path, rows)
    assert report.outcome == "pass", render_text(report, "Dudley")
    assert [c.check for c in report.checks] == list(CHECKS)
    assert check(report, "month_on_month").message == "no previous month to compare (skipped)"
    assert check(report, "required_metrics").message == f"All {len(rows)} metrics required this month are present."
    loaded = report.rows
    assert len(loaded) == len(rows) and set(loaded.return_period) == {MONTH}
    row, _ = row_of(rows, "wf_agency_staff_pct")
    agency = loaded[loaded.row_number == row].iloc[0]
    assert agency["value"] == pytest.approx(18.0)  # 100 x 360 / 2000, computed and noted
    assert isinstance(agency["numerator"], float) and agency["note"] is None
    assert any(n.startswith("computed value from numerator and denominator in") for n in report.normalisations)


def test_good_quarter_end_return_includes_quarterly_metrics(tmp_path):
    rows = good_rows(month="2026-09")
    assert any(r["period"] == "2026-Q3" for r in rows)
    assert validate(tmp_path, rows, month="2026-09").outcome == "pass"


def test_xlsx_return_with_data_on_second_sheet_validates(tmp_path):
    import openpyxl

    rows = good_rows()
    wb = openpyxl.Workbook()
    wb.active.title = "Instructions"
    wb.active.append(["Fill in one row per metric on the Return sheet"])
    ws = wb.create_sheet("Return")
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append(
            [float(r[c]) if c in ("value", "numerator", "denominator") and r[c] else (r[c] or None) for c in COLUMNS]
        )
    path = tmp_path / "return.xlsx"
    wb.save(path)
    report = validate_return(path, council_code=DUDLEY, return_month=MONTH, today=TODAY)
    assert report.outcome == "pass", render_text(report, "Dudley")
    assert report.normalisations[0].startswith("used sheet 'Return' (the second sheet)")


# --- values: normalised or rejected ---------------------------------------------------------


def test_thousands_separators_are_read_and_noted(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "wf_fte_employees")
    r["value"] = "7,500"
    report = validate(tmp_path, rows)
    assert report.outcome == "pass"
    assert report.rows.loc[report.rows.row_number == row, "value"].item() == 7500.0
    assert (
        f"removed thousands separators (commas) from 1 number (row {row}: '7,500' read as 7500)"
        in report.normalisations
    )


def test_percent_sign_stripped_on_percent_metric_rejected_on_a_count(tmp_path):
    rows = good_rows()
    pct_row, pct = row_of(rows, "wf_agency_staff_pct")
    pct.update(value="18%", numerator="", denominator="")
    count_row, count = row_of(rows, "roads_potholes_repaired")
    count["value"] = "12%"
    report = validate(tmp_path, rows)
    assert any(
        n.startswith("removed the '%' sign from 1 percentage") and f"row {pct_row}: '18%' read as 18" in n
        for n in report.normalisations
    )
    assert failed(report) == ["columns"]
    [bad] = check(report, "columns").failing_rows
    assert (bad.row, bad.metric_id, bad.column, bad.found) == (count_row, "roads_potholes_repaired", "value", "12%")
    assert "without a '%' sign" in bad.accepted and report.rows is None


def test_text_in_a_numeric_column_names_row_column_and_text(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "waste_missed_collections_per_100k")
    r.update(value="12,5x", numerator="", denominator="")
    report = validate(tmp_path, rows)
    assert failed(report) == ["columns"]
    [bad] = check(report, "columns").failing_rows
    assert (bad.row, bad.column, bad.found) == (row, "value", "12,5x")
    assert bad.accepted.startswith("a number between 0 and 2000 (per 100,000)")
    text = render_text(report, "Dudley Metropolitan Borough Council")
    assert (
        f"Row {row}, metric waste_missed_collections_per_100k (Missed bin collections per 100,000 collections): "
        f"found '12,5x' in value; accepted: a number between 0 and 2000 (per 100,000)"
    ) in text


def test_decimal_comma_is_rejected_not_guessed(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "wf_fte_employees")
    r["value"] = "2100,5"
    report = validate(tmp_path, rows)
    [bad] = check(report, "columns").failing_rows
    assert bad.row == row and "with a full stop as the decimal mark (2100.5 if that is what you meant)" in bad.accepted


def test_suppression_markers_ask_for_not_available(tmp_path):
    rows = good_rows()
    row1, r1 = row_of(rows, "roads_potholes_repaired")
    r1["value"] = ".."
    row2, r2 = row_of(rows, "wf_fte_employees")
    r2["value"] = "n/a"
    report = validate(tmp_path, rows)
    assert failed(report) == ["columns"]
    bad = {f.row: f for f in check(report, "columns").failing_rows}
    assert bad[row1].found == ".." and bad[row2].found == "n/a"
    for f in bad.values():
        assert (
            "if the figure is not available leave value blank, set status to not_available and give the reason in note"
        ) in f.accepted
    # the status check does not report the same cells again as "no value"
    assert check(report, "status").outcome == "pass"


def test_not_available_needs_a_reason_and_no_value(tmp_path):
    rows = good_rows()
    row1, r1 = row_of(rows, "roads_potholes_repaired")
    r1.update(value="", status="not_available", note="")
    row2, r2 = row_of(rows, "wf_fte_employees")
    r2.update(status="Not Available", note="payroll system migration")
    _, r3 = row_of(rows, "housing_families_in_bb_over_6_weeks")
    r3.update(value="", status="not_available", note="H-CLIC extract late")
    report = validate(tmp_path, rows)
    assert failed(report) == ["status"]
    got = {(f.row, f.column) for f in check(report, "status").failing_rows}
    assert got == {(row1, "note"), (row2, "value")}
    assert any(f"row {row2}: 'Not Available' read as not_available" in n for n in report.normalisations)


# --- row rules --------------------------------------------------------------------------------


def test_duplicate_rows_fail_with_both_row_numbers(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "roads_potholes_repaired")
    rows.append(dict(r, value="355"))
    dup_row = len(rows) + 1
    report = validate(tmp_path, rows)
    assert failed(report) == ["no_duplicates"]
    bad = check(report, "no_duplicates").failing_rows
    assert [f.row for f in bad] == [row, dup_row]
    assert bad[0].found == f"roads_potholes_repaired for {MONTH}, also in row {dup_row} (with different figures)"


def test_unknown_metric_suggests_the_closest_catalogue_id(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "waste_fly_tipping_incidents")
    r["metric_id"] = "waste_flytipping_incidents"
    report = validate(tmp_path, rows)
    assert "metric_known" in failed(report)
    [bad] = check(report, "metric_known").failing_rows
    assert (bad.row, bad.found) == (row, "waste_flytipping_incidents")
    assert "did you mean waste_fly_tipping_incidents (Fly-tipping incidents dealt with)?" in bad.accepted
    assert "required_metrics" in failed(report)  # the real metric is now missing
    assert check(report, "metric_tier").outcome == "pass"  # reported once, not again as a tier problem


def test_another_councils_code_names_both_councils(tmp_path):
    rows = good_rows()
    for r in rows:
        r["council_code"] = "E08000025"
    report = validate(tmp_path, rows)
    assert failed(report) == ["council_code"]
    c = check(report, "council_code")
    assert c.message.startswith(
        "The file gives council code E08000025 (Birmingham City Council), but it was sent "
        "for E08000027 (Dudley Metropolitan Borough Council)"
    )
    assert len(c.failing_rows) == len(rows)
    assert (
        c.failing_rows[0].accepted
        == "E08000027 (Dudley Metropolitan Borough Council), the council this file was sent for"
    )


def test_future_period_and_future_return_month(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "wf_fte_employees")
    r["period"] = "2026-11"
    report = validate(tmp_path, rows)
    assert failed(report) == ["period"]
    c = check(report, "period")
    assert c.message.startswith(
        "1 row has a period that does not fit the metric's frequency and the October 2026 return, a future period (row"
    )
    [bad] = c.failing_rows
    assert (bad.row, bad.found) == (row, "2026-11")
    assert bad.accepted.startswith(
        "2026-10 for a monthly metric in the October 2026 return (2026-11 is a future period"
    )

    ahead = validate(tmp_path, good_rows(month="2026-12"), month="2026-12")
    assert failed(ahead) == ["period"]
    assert check(ahead, "period").message.startswith(
        "Future period: the return is for December 2026, which has not started yet (today is 21 November 2026)"
    )


def test_quarterly_metric_in_a_mid_quarter_month_fails_period(tmp_path):
    rows = good_rows()
    rows.append(
        {
            "council_code": DUDLEY,
            "period": "2026-Q3",
            "metric_id": "econ_vacant_retail_units_pct",
            "value": "14",
            "numerator": "",
            "denominator": "",
            "status": "actual",
            "note": "",
        }
    )
    report = validate(tmp_path, rows)
    [bad] = check(report, "period").failing_rows
    assert bad.row == len(rows) + 1
    assert "returned only in the March, June, September and December returns" in bad.accepted


def test_negative_count_fails_bounds(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "waste_fly_tipping_incidents")
    r["value"] = "-4"
    report = validate(tmp_path, rows)
    assert failed(report) == ["within_bounds"]
    [bad] = check(report, "within_bounds").failing_rows
    assert (bad.row, bad.metric_id, bad.found) == (row, "waste_fly_tipping_incidents", "-4")
    assert bad.accepted == "a number between 0 and 6000 (a count); it cannot be negative"


def test_numerator_above_denominator_fails_for_a_proportion(tmp_path):
    rows = good_rows()
    row, r = row_of(rows, "cs_assessments_within_45_days_pct")
    r.update(numerator="130", denominator="120")
    report = validate(tmp_path, rows)
    assert "numerator_denominator" in failed(report)
    bad = [f for f in check(report, "numerator_denominator").failing_rows if f.row == row]
    assert bad and bad[0].found == "numerator 130, denominator 120"
    assert "within_bounds" in failed(report)  # 108.3% is also outside 0-100


def test_mean_metric_with_numerator_above_denominator_passes(tmp_path):
    rows = good_rows()
    _, r = row_of(rows, "fin_hb_new_claims_days")  # total days / claims decided: a mean
    r.update(numerator="4520", denominator="240")  # 18.8 days on average
    report = validate(tmp_path, rows)
    assert report.outcome == "pass", render_text(report, "Dudley")


def test_value_must_agree_with_numerator_and_denominator(tmp_path):
    rows = good_rows()
    _, r = row_of(rows, "wf_agency_staff_pct")
    r.update(value="18.05", numerator="360", denominator="2000")  # 18.0: within 0.5%
    row2, r2 = row_of(rows, "wf_voluntary_turnover_pct")
    r2.update(value="9", numerator="360", denominator="2000")  # 18.0, not 9
    report = validate(tmp_path, rows)
    assert failed(report) == ["numerator_denominator"]
    [bad] = check(report, "numerator_denominator").failing_rows
    assert bad.row == row2 and bad.found == "value 9 with numerator 360 and denominator 2000"
    # the message states the suite's one agreement rule, in the words the council guide uses
    assert value_agreement_words() == "within 0.5% of it, or within 0.05 if that is more"
    assert bad.accepted.startswith(f"18 (100 × numerator / denominator: value must be {value_agreement_words()})")


def test_district_reporting_a_county_metric_fails_metric_tier(tmp_path):
    rows = good_rows(CANNOCK)
    rows.append(
        {
            "council_code": CANNOCK,
            "period": MONTH,
            "metric_id": "asc_people_awaiting_assessment",
            "value": "120",
            "numerator": "",
            "denominator": "",
            "status": "actual",
            "note": "",
        }
    )
    report = validate(tmp_path, rows, council_code=CANNOCK)
    assert failed(report) == ["metric_tier"]
    c = check(report, "metric_tier")
    assert "district councils such as Cannock Chase District Council do not deliver" in c.message
    [bad] = c.failing_rows
    assert (bad.row, bad.found) == (len(rows) + 1, "asc_people_awaiting_assessment")
    assert "delivered by metropolitan borough, unitary, county councils" in bad.accepted


def test_missing_required_metric_is_listed_by_name(tmp_path):
    rows = [r for r in good_rows() if r["metric_id"] != "housing_homelessness_preventions"]
    report = validate(tmp_path, rows)
    assert failed(report) == ["required_metrics"]
    c = check(report, "required_metrics")
    assert "housing_homelessness_preventions (Homelessness preventions)" in c.message
    [missing] = c.failing_rows
    assert (missing.row, missing.metric_id, missing.found) == (None, "housing_homelessness_preventions", "(no row)")
    assert missing.accepted.startswith("a row with period 2026-10")


def test_month_on_month_jump_is_a_warning_not_a_failure(tmp_path):
    rows = good_rows()
    row, _ = row_of(rows, "wf_fte_employees")  # 7500; the threshold is 10%
    previous = {"wf_fte_employees": 5000.0, "roads_potholes_repaired": 12000.0}
    report = validate(tmp_path, rows, previous_values=previous)
    assert report.outcome == "warn" and not report.failures()
    c = check(report, "month_on_month")
    assert (c.severity, c.outcome) == ("warn", "warn")
    [jump] = c.failing_rows
    assert (jump.row, jump.metric_id) == (row, "wf_fte_employees")
    assert jump.found == "7500 (previous period 5000, a change of +50%)"
    assert report.rows is not None  # a warning still loads
    text = render_text(report, "Dudley Metropolitan Borough Council")
    assert "ACCEPTED WITH WARNINGS" in text and "What must be fixed" not in text


def test_failing_rows_carry_spreadsheet_row_numbers_after_blank_rows(tmp_path):
    rows = good_rows()
    path = write_return(tmp_path, rows)
    lines = path.read_text().splitlines()
    lines.insert(3, ",,,,,,,")  # a blank spreadsheet row 4
    target = lines[10].split(",")  # spreadsheet row 11
    target[3], target[4], target[5] = "oops", "", ""
    lines[10] = ",".join(target)
    path.write_text("\r\n".join(lines) + "\r\n")
    report = validate_return(path, council_code=DUDLEY, return_month=MONTH, today=TODAY)
    [bad] = check(report, "columns").failing_rows
    assert (bad.row, bad.metric_id, bad.found) == (11, target[2], "oops")
    assert "ignored blank row 4" in report.normalisations


# --- unreadable files, text and CSV for people, the CLI ---------------------------------------


def test_unreadable_file_reports_only_the_readable_check(tmp_path):
    path = tmp_path / "return.csv"
    path.write_bytes(b"")
    report = validate_return(path, council_code=DUDLEY, return_month=MONTH, today=TODAY)
    assert [(c.check, c.outcome) for c in report.checks] == [("readable", "fail")]
    assert not_run_checks(report) == list(CHECKS)[1:]
    text = render_text(report, "Dudley Metropolitan Borough Council")
    assert text.startswith("Return from Dudley Metropolitan Borough Council (E08000027) for October 2026: REJECTED.")
    assert "The file is empty (0 bytes)" in text
    assert "Not checked because the file could not be read: columns and numbers, council code" in text


def test_missing_column_stops_after_the_columns_check(tmp_path):
    path = tmp_path / "return.csv"
    path.write_text(
        "council_code,period,metric_id,numerator,denominator,status,note\r\n"
        "E08000027,2026-10,wf_agency_staff_pct,360,2000,actual,\r\n"
    )
    report = validate_return(path, council_code=DUDLEY, return_month=MONTH, today=TODAY)
    assert [(c.check, c.outcome) for c in report.checks] == [("readable", "pass"), ("columns", "fail")]
    text = render_text(report, "Dudley Metropolitan Borough Council")
    assert "the header has no value column" in text
    assert "Not checked because the file's columns do not match the return template: council code, periods" in text


def test_unknown_council_or_bad_month_is_a_caller_error(tmp_path):
    path = write_return(tmp_path, good_rows())
    with pytest.raises(ValueError, match="unknown council code 'E99999999'"):
        validate_return(path, council_code="E99999999", return_month=MONTH)
    with pytest.raises(ValueError, match="return month must be YYYY-MM"):
        validate_return(path, council_code=DUDLEY, return_month="October 2026")


def test_render_text_and_csv_attachment_list_every_row(tmp_path):
    rows = good_rows()
    for r in rows:
        r["council_code"] = "E08000028"
    report = validate(tmp_path, rows)
    text = render_text(report, "Dudley Metropolitan Borough Council")
    # the same problem in every row is one finding that lists the rows; the CSV has every row
    assert text.count("in council_code; accepted: E08000027 (Dudley Metropolitan Borough Council)") == 1
    assert f"- Rows 2 to {len(rows) + 1} ({len(rows)} rows): found 'E08000028' in council_code" in text
    assert (
        "How to resubmit: correct the file and upload it again to the same address; the newest file for a month "
        "replaces the earlier one. Check it first with: councilbench validate FILE --council E08000027 "
        "--period 2026-10"
    ) in text
    attachment = list(csv.DictReader(io.StringIO(failing_rows_csv(report))))
    assert len(attachment) == len(rows)
    assert list(attachment[0]) == ["row", "metric_id", "column", "found", "accepted", "check", "message"]
    assert attachment[0]["row"] == "2" and attachment[0]["found"] == "E08000028"
    assert attachment[0]["check"] == "council_code"


def test_render_text_caps_at_fifty_rows(tmp_path):
    rows = good_rows() * 2  # every row duplicated: more than 50 failing rows
    report = validate(tmp_path, rows)
    c = check(report, "no_duplicates")
    assert len(c.failing_rows) == len(rows) > 50
    text = render_text(report, "Dudley")
    assert f"... and {len(rows) - 50} more rows — see the attached CSV." in text
    assert "(identical rows)" in text


def test_validate_cli_prints_the_report_and_exits_by_outcome(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="councilbench")
    add_command(parser.add_subparsers(dest="command"))
    good = write_return(tmp_path, good_rows(month="2026-09"), "good.csv")
    args = parser.parse_args(["validate", str(good), "--council", "dudley", "--period", "2026-09"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Return from Dudley Metropolitan Borough Council (E08000027) for September 2026: ACCEPTED.")

    bad_rows = good_rows(month="2026-09")
    bad_rows[0]["value"] = "lots"
    bad = write_return(tmp_path, bad_rows, "bad.csv")
    args = parser.parse_args(["validate", str(bad), "--council", DUDLEY, "--period", "2026-09"])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    expected = validate_return(parse_return(bad), council_code=DUDLEY, return_month="2026-09")
    assert out == render_text(expected, "Dudley Metropolitan Borough Council")
    assert "found 'lots' in value" in out

    args = parser.parse_args(["validate", str(bad), "--council", "E99999999", "--period", "2026-09"])
    assert args.func(args) == 2
    assert "unknown council 'E99999999'" in capsys.readouterr().err


def test_suite_file_is_gx_json_and_every_rule_names_a_contract_check():
    import great_expectations as gx

    raw = load_suite_json()
    suite = gx.ExpectationSuite(**json.loads(json.dumps(raw)))
    assert len(suite.expectations) == len(raw["expectations"]) >= 15
    checks = {e["meta"]["check"] for e in raw["expectations"]}
    assert checks <= set(CHECKS)
    assert {
        "council_code",
        "period",
        "metric_known",
        "metric_tier",
        "status",
        "no_duplicates",
        "within_bounds",
        "numerator_denominator",
    } == checks
    rules = [e["meta"]["rule"] for e in raw["expectations"]]
    assert len(rules) == len(set(rules))
