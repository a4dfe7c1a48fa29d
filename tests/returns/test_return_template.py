"""The pre-filled template never guarantees a rejection: status is pre-filled only on
the rows a council must give, and a template sent back with its optional rows untouched
is accepted (those metrics are not given, and nothing is loaded for them).

Worcester (a district with no council housing: no re-let days, no rent collected) fills
in the required figures of its pre-filled template, as CSV, as the Excel workbook, and
as the CSV its reminder email attaches.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl

from councilbench.core import catalogue
from councilbench.core.catalogue import Contact
from councilbench.returns import reminders, template
from councilbench.returns.contract import COLUMNS, OPTIONAL_ROW_NOTE
from councilbench.returns.report_text import render_text
from councilbench.returns.validate import validate_return

WORCESTER = "E07000237"
MONTH = "2026-10"
TODAY = date(2026, 11, 21)
NO_HOUSING_STOCK = ("housing_average_relet_days", "housing_rent_collected_pct")


def figures(metric_id: str) -> dict[str, str]:
    """Plausible figures for a metric: numerator and denominator for a ratio, else a value."""
    m = catalogue.metrics()[metric_id]
    value = m.lower_bound + (m.upper_bound - m.lower_bound) * 0.3
    if m.value_type in ("proportion", "mean"):
        return {"numerator": f"{value * 2000 / m.scale:g}", "denominator": "2000"}
    return {"value": f"{round(value):d}"}


def filled_in(rows: list[dict]) -> list[dict]:
    """What an officer does: type the required figures, leave the optional rows as they are."""
    return [dict(r, **figures(r["metric_id"])) if r["status"] == "actual" else dict(r) for r in rows]


def validate(path):
    return validate_return(path, council_code=WORCESTER, return_month=MONTH, today=TODAY)


def write_csv(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\r\n")
        w.writeheader()
        w.writerows(rows)


def assert_accepted_without_the_optional_rows(report, rows: list[dict]) -> None:
    assert report.outcome == "pass", render_text(report, "Worcester City Council")
    required = [r["metric_id"] for r in rows if r["status"] == "actual"]
    assert sorted(report.rows["metric_id"]) == sorted(required)  # nothing loaded for the optional rows
    left_out = next(n for n in report.normalisations if n.startswith("left out"))
    assert all(m in left_out for m in NO_HOUSING_STOCK)


def test_worcesters_template_marks_its_optional_rows_as_optional():
    rows = template.template_rows(WORCESTER, MONTH)
    by_metric = {r["metric_id"]: r for r in rows}
    for metric_id in NO_HOUSING_STOCK:
        assert (by_metric[metric_id]["status"], by_metric[metric_id]["note"]) == ("", OPTIONAL_ROW_NOTE)
    for r in rows:
        required = catalogue.metrics()[r["metric_id"]].required
        assert (r["status"] == "actual") == required and (r["note"] == "") == required


def test_worcesters_csv_template_with_the_required_figures_is_accepted(tmp_path):
    rows = filled_in(list(csv.DictReader(io.StringIO(template.csv_text(WORCESTER, MONTH)))))
    path = tmp_path / template.template_name(WORCESTER, MONTH)
    write_csv(path, rows)
    assert_accepted_without_the_optional_rows(validate(path), rows)


def test_worcesters_excel_template_with_the_required_figures_is_accepted(tmp_path):
    _, path = template.write_templates(tmp_path, WORCESTER, MONTH)
    wb = openpyxl.load_workbook(path)
    ws = wb["Return"]
    header = [c.value for c in ws[1]]
    rows = []
    for i in range(2, ws.max_row + 1):
        row = {c: ws.cell(i, header.index(c) + 1).value or "" for c in COLUMNS}
        if row["status"] == "actual":
            for column, text in figures(row["metric_id"]).items():
                ws.cell(i, header.index(column) + 1, float(text))
        rows.append(row)
    assert sum(1 for r in rows if r["note"] == OPTIONAL_ROW_NOTE) >= len(NO_HOUSING_STOCK)
    wb.save(path)
    assert_accepted_without_the_optional_rows(validate(path), rows)


def test_the_template_a_reminder_attaches_comes_back_accepted(tmp_path):
    state = reminders.CouncilMonth(WORCESTER, "Worcester City Council", "missing")
    msg = reminders.compose(
        "reminder",
        state,
        MONTH,
        [Contact(WORCESTER, "L Grant", "l.grant@worcester.example", "primary")],
        due=datetime(2026, 11, 15, 6, tzinfo=UTC),
        now=datetime(2026, 11, 10, 9, tzinfo=UTC),
        sender="cb@test.example",
        ops_email="ops@test.example",
    )
    [attachment] = msg.iter_attachments()
    rows = filled_in(list(csv.DictReader(io.StringIO(attachment.get_content()))))
    path = tmp_path / attachment.get_filename()
    write_csv(path, rows)
    assert_accepted_without_the_optional_rows(validate(path), rows)


def test_an_optional_row_given_or_marked_not_available_is_read_as_the_council_means(tmp_path):
    rows = filled_in(template.template_rows(WORCESTER, MONTH))
    relet = next(r for r in rows if r["metric_id"] == "housing_average_relet_days")
    relet.update(figures("housing_average_relet_days"), status="actual")  # given, the note left in
    rent = next(r for r in rows if r["metric_id"] == "housing_rent_collected_pct")
    rent.update(status="not_available")  # the template's note is no reason
    path = tmp_path / "worcester.csv"
    write_csv(path, rows)
    report = validate(path)
    [no_reason] = next(c for c in report.checks if c.check == "status").failing_rows
    assert (no_reason.metric_id, no_reason.column) == ("housing_rent_collected_pct", "note")

    rent.update(note="The council owns no housing stock.")
    write_csv(path, rows)
    report = validate(path)
    assert report.outcome == "pass", render_text(report, "Worcester City Council")
    loaded = report.rows.set_index("metric_id")
    assert loaded.loc["housing_average_relet_days", "note"] is None  # the template's words are not loaded
    assert loaded.loc["housing_rent_collected_pct", "note"] == "The council owns no housing stock."
    assert any(n.startswith("did not load the template's note on optional metrics") for n in report.normalisations)
