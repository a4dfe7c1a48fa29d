"""What a council officer reads about a return: one finding per problem, not one per row;
one report per cell; one agreement rule, stated once; an email worded from what was
found; a guide that says exactly where the file goes.

The emails are composed as the pipeline composes them (email_render.compose, through the
real Jinja templates); the reports come from real validation of real files.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.returns import email_render
from councilbench.returns.contract import COLUMNS, expected_period
from councilbench.returns.report_text import render_text
from councilbench.returns.rules import value_agreement_words
from councilbench.returns.template import RETURNS_ADDRESS, return_address
from councilbench.returns.validate import validate_return

DUDLEY, WORCESTER = "E08000027", "E07000237"
MONTH = "2026-10"
TODAY = date(2026, 11, 21)
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "council_guide.md"


def sample_report(tmp_path, council_code: str, faults: list[str]):
    path = tmp_path / f"{council_code}-{'-'.join(faults)}.csv"
    path.write_bytes(sample.faulted_bytes(council_code, MONTH, faults))
    return validate_return(path, council_code=council_code, return_month=MONTH, today=TODAY)


def rejection_email(report, council_code: str):
    council = catalogue.councils()[council_code]
    return email_render.compose(
        "rejection",
        report,
        council=council,
        contacts=catalogue.contacts()[council_code],
        submission=email_render.SubmissionRef(
            41, "cd" * 32, datetime(2026, 11, 2, 6, tzinfo=UTC), source_uri=council.return_uri(MONTH)
        ),
        sender="councilbench@test.example",
        ops_email="ops@test.example",
        now=datetime(2026, 11, 2, 7, tzinfo=UTC),
    )


def parts(msg) -> tuple[str, str, list]:
    return (msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content(), list(msg.iter_attachments()))


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- (a) the same problem in many rows is one finding --------------------------------------------


def test_an_excel_date_in_every_period_is_one_finding_with_the_excel_fix(tmp_path):
    report = sample_report(tmp_path, WORCESTER, ["excel_date_period"])
    [periods] = report.failures()
    rows = len(periods.failing_rows)
    assert periods.check == "period" and rows == 21  # every monthly row of Worcester's return
    plain, html, [attachment] = parts(rejection_email(report, WORCESTER))
    fix = (
        "Excel has turned the period into a date: format the period column as Text, type 2026-10 again and save "
        "the file (or use the .xlsx template, whose period column is already text)"
    )
    for text in (render_text(report, "Worcester City Council"), one_line(plain)):
        assert text.count("found 'Oct-26' in period") == 1
        assert f"Rows 2 to 22 ({rows} rows): found 'Oct-26' in period; accepted: 2026-10 for a monthly metric" in text
        assert fix in text
    assert html.count("Oct-26") == 1 and fix in one_line(html)
    assert re.search(r'<th scope="row"[^>]*>2 to 22 \(21 rows\)', html)
    assert len(list(csv.DictReader(io.StringIO(attachment.get_content())))) == rows  # the CSV keeps every row


# --- (b) a percentage-formatted cell is reported once --------------------------------------------


def excel_return(tmp_path, cells: dict[str, tuple[float, str]]) -> Path:
    """Dudley's sample return as a workbook, with some value cells replaced by a number in
    an Excel number format: metric_id -> (number, format)."""
    rows = list(csv.DictReader(io.StringIO(sample.faulted_bytes(DUDLEY, MONTH).decode("utf-8"))))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Return"
    ws.append(list(COLUMNS))
    for r in rows:
        if r["metric_id"] in cells:
            number, fmt = cells[r["metric_id"]]
            r.update(numerator="", denominator="")
        ws.append(
            [float(r[c]) if c in ("value", "numerator", "denominator") and r[c] else (r[c] or None) for c in COLUMNS]
        )
        if r["metric_id"] in cells:
            ws.cell(ws.max_row, COLUMNS.index("value") + 1, number).number_format = fmt
    path = tmp_path / "dudley.xlsx"
    wb.save(path)
    return path


def test_a_percentage_formatted_cell_is_reported_once(tmp_path):
    accepted = validate_return(
        excel_return(tmp_path, {"wf_agency_staff_pct": (0.183, "0.0%")}),
        council_code=DUDLEY,
        return_month=MONTH,
        today=TODAY,
    )
    assert accepted.outcome == "pass", render_text(accepted, "Dudley")
    about_it = [n for n in accepted.normalisations if "%" in n]
    assert len(about_it) == 1 and "formatted as a percentage in Excel" in about_it[0]
    assert "stored 0.183, shown 18.3%, read as 18.3" in about_it[0]

    rejected = validate_return(
        excel_return(tmp_path, {"roads_potholes_repaired": (0.5, "0%")}),
        council_code=DUDLEY,
        return_month=MONTH,
        today=TODAY,
    )
    assert not [n for n in rejected.normalisations if "percentage" in n]  # not a tidy-up as well
    [cell] = next(c for c in rejected.checks if c.check == "columns").failing_rows
    assert (cell.metric_id, cell.found) == ("roads_potholes_repaired", "50%")
    assert "the cell is formatted as a percentage in Excel, so it shows 50% for the 0.5 it holds" in cell.accepted
    assert "format the cell as Number in Excel" in cell.accepted


# --- (c) one agreement rule, stated once ---------------------------------------------------------


def agreement_rows(value: str, numerator: str, denominator: str) -> list[dict]:
    """Dudley's required metrics as numerator and denominator; agency staff as all three."""
    rows = []
    for m in catalogue.return_metrics_for("metropolitan_borough"):
        if m.required and expected_period(m.frequency, MONTH):
            v = m.lower_bound + (m.upper_bound - m.lower_bound) * 0.3
            ratio = m.value_type in ("proportion", "mean")
            rows.append(
                {
                    "council_code": DUDLEY,
                    "period": MONTH,
                    "metric_id": m.metric_id,
                    "value": "" if ratio else f"{round(v):d}",
                    "numerator": f"{v * 2000 / m.scale:g}" if ratio else "",
                    "denominator": "2000" if ratio else "",
                    "status": "actual",
                    "note": "",
                }
            )
    next(r for r in rows if r["metric_id"] == "wf_agency_staff_pct").update(
        value=value, numerator=numerator, denominator=denominator
    )
    return rows


@pytest.mark.parametrize(
    "value, numerator, agrees",
    [
        ("18.08", "360", True),
        ("18.11", "360", False),  # 18: within 0.5% of it (0.09)
        ("1.04", "20", True),
        ("1.06", "20", False),  # 1: within 0.05, which is more than 0.5% of it
    ],
)
def test_the_agreement_rule_is_what_the_message_and_the_guide_say(tmp_path, value, numerator, agrees):
    path = tmp_path / "return.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(agreement_rows(value, numerator, "2000"))
    report = validate_return(path, council_code=DUDLEY, return_month=MONTH, today=TODAY)
    check = next(c for c in report.checks if c.check == "numerator_denominator")
    assert check.passed == agrees
    words = value_agreement_words()
    assert words == "within 0.5% of it, or within 0.05 if that is more"
    if not agrees:
        assert f"value must be {words}" in check.failing_rows[0].accepted
    guide = one_line(GUIDE.read_text(encoding="utf-8"))
    assert f"value must be {words}" in guide and "agree to two decimal places" not in guide


# --- (d) an email worded from what was found -----------------------------------------------------


def test_a_sign_in_page_email_does_not_ask_for_rows_that_are_not_there(tmp_path):
    report = sample_report(tmp_path, DUDLEY, ["html_error_page"])
    assert [c.check for c in report.failures()] == ["readable"]
    plain, html, attachments = parts(rejection_email(report, DUDLEY))
    for text in (one_line(plain), one_line(html)):
        assert "rows listed" not in text and "attached" not in text
        assert "The file we collected could not be read as a return, so none of it was checked" in text
        assert "Sign in" in text  # what was found: the page's title
    assert "Correct the rows" not in html and "Put right what is described above." in html
    assert attachments == []  # no CSV of rows when there are none

    # a file with rows to correct still asks for them, and attaches them
    rows_report = sample_report(tmp_path, DUDLEY, ["negative_count"])
    plain, html, [attachment] = parts(rejection_email(rows_report, DUDLEY))
    assert (
        "Please correct the rows listed below (they are also attached as dudley-2026-10-failing-rows.csv)"
        in one_line(plain)
    )
    assert "Correct the rows listed above" in html and attachment.get_filename() == "dudley-2026-10-failing-rows.csv"


# --- (e) the guide says where the file goes ------------------------------------------------------


def test_the_guide_says_exactly_where_the_file_goes():
    guide = one_line(GUIDE.read_text(encoding="utf-8"))
    assert "the address agreed" not in guide
    # the registry's return_source for Dudley, with the deployment's returns address left as a name
    dudley = return_address(DUDLEY, MONTH)
    assert dudley == f"{RETURNS_ADDRESS}/dudley/2026-10.csv"
    assert f"`{dudley}`" in guide and f"`{RETURNS_ADDRESS}/<short name>/<YYYY-MM>.csv`" in guide
    # every council's address follows the pattern the guide gives
    for council in catalogue.councils().values():
        assert council.return_uri(MONTH, RETURNS_ADDRESS) == f"{RETURNS_ADDRESS}/{council.short_name}/{MONTH}.csv"
    assert "Then publish it at" in guide  # the reminder email's own words
