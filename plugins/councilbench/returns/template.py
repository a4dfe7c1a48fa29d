"""The return template councils fill in: CSV and Excel, blank or pre-filled.

Blank templates are committed under plugins/councilbench/templates/ (regenerate them
with `python -m councilbench.returns.template`). A pre-filled one, for a council and a
month, has one row per metric due from that council that month with council_code,
period and metric_id already in, so a performance officer only types figures. Only the
required metrics' rows say status `actual`: an optional metric's row has no status and
contract.OPTIONAL_ROW_NOTE in note, so a council that does not give it (Worcester has no
council housing, so no re-let days) sends the row untouched and the return is accepted.

The Excel template has three sheets: Return (first, and the only sheet whose first row
is the return header, so the validator reads it without having to pick a sheet),
Instructions, and Metrics (what each metric counts, its unit and accepted range). The
Return sheet's text columns are text-formatted, so Excel keeps '2026-10' as typed
instead of turning it into a date.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from councilbench.core import catalogue
from councilbench.core.calendar import day_label, month_label, return_due
from councilbench.core.catalogue import Metric
from councilbench.returns.contract import (
    COLUMNS,
    OPTIONAL_ROW_NOTE,
    STATUSES,
    expected_period,
)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
#: The platform's returns address (COUNCILBENCH_RETURNS_BASE_URL) as the template and the
#: council guide write it: each deployment has its own, and every reminder email gives a
#: council its full address for the month.
RETURNS_ADDRESS = "<returns address>"
BLANK_CSV = TEMPLATES_DIR / "return_template.csv"
BLANK_XLSX = TEMPLATES_DIR / "return_template.xlsx"

UNIT_WORDS = {
    "percent": "a percentage from 0 to 100, without the % sign (85.3 means 85.3%)",
    "per_100k": "a rate per 100,000 (scale x numerator / denominator)",
    "per_1000": "a rate per 1,000 (scale x numerator / denominator)",
    "count": "a whole number",
    "days": "days (numerator / denominator)",
    "fte_days": "days per full-time equivalent employee (numerator / denominator)",
    "gbp": "pounds, a whole number without the £ sign",
    "kg": "kilograms per household (numerator / denominator)",
    "number": "a number (numerator / denominator)",
}

COLUMN_HELP = (
    ("council_code", "Your council's GSS code, e.g. E08000027 for Dudley. The same on every row."),
    (
        "period",
        "Monthly metrics: the return month, YYYY-MM (2026-10). Quarterly metrics: YYYY-Qn, the calendar "
        "quarter ending in the return month (2026-Q3 in the September return). Annual metrics: the financial "
        "year YYYY-YY ending in the return month (2025-26 in the March return).",
    ),
    ("metric_id", "The metric's identifier from the catalogue, exactly as written in the template."),
    (
        "value",
        "The figure. For percentages, a number from 0 to 100 without the % sign. Leave blank when "
        "status is not_available.",
    ),
    (
        "numerator",
        "For percentages, rates and averages: what you counted (e.g. invoices paid within 30 days). "
        "Optional if you give value, but please give it: it lets the region add councils up fairly.",
    ),
    (
        "denominator",
        "For percentages, rates and averages: what you counted it out of (e.g. all invoices paid). "
        "If you give numerator, denominator and value, value must equal scale x numerator / denominator.",
    ),
    (
        "status",
        "actual (a final figure), estimate (provisional: you will correct it later) or not_available. "
        "Left blank, with value, on the row of an optional metric you do not give.",
    ),
    (
        "note",
        "Free text. Required when status is not_available: say why (e.g. 'new case system: figures from December').",
    ),
)


def metrics_due(council_code: str, return_month: str) -> list[tuple[Metric, str]]:
    """(metric, period) for every metric this council reports in this month's return."""
    council = catalogue.councils()[council_code]
    out = []
    for m in catalogue.return_metrics_for(council.tier):
        period = expected_period(m.frequency, return_month)
        if period is not None:
            out.append((m, period))
    return out


def template_rows(council_code: str | None = None, return_month: str | None = None) -> list[dict[str, str]]:
    """The pre-filled rows (none for a blank template): a required metric's row says status
    'actual', to change when needed; an optional metric's row has no status and a note
    saying it is optional, and is accepted as it is (the metric not given)."""
    if council_code is None and return_month is None:
        return []
    if council_code is None or return_month is None:
        raise ValueError("give both a council and a return month for a pre-filled template, or neither")
    if council_code not in catalogue.councils():
        raise KeyError(f"unknown council code {council_code!r}")
    expected_period("monthly", return_month)  # validates YYYY-MM
    return [
        {
            "council_code": council_code,
            "period": period,
            "metric_id": m.metric_id,
            "value": "",
            "numerator": "",
            "denominator": "",
            "status": "actual" if m.required else "",
            "note": "" if m.required else OPTIONAL_ROW_NOTE,
        }
        for m, period in metrics_due(council_code, return_month)
    ]


def return_address(council_code: str, return_month: str) -> str:
    """Where the council publishes this month's file, from the registry's return_source:
    '<returns address>/dudley/2026-10.csv'."""
    return catalogue.councils()[council_code].return_uri(return_month, RETURNS_ADDRESS)


def template_name(council_code: str | None = None, return_month: str | None = None, ext: str = "csv") -> str:
    if council_code is None:
        return f"return_template.{ext}"
    return f"{catalogue.councils()[council_code].short_name}_{return_month}_return.{ext}"


def csv_text(council_code: str | None = None, return_month: str | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in template_rows(council_code, return_month):
        w.writerow([r[c] for c in COLUMNS])
    return buf.getvalue()


def write_template_csv(path: Path | str, council_code: str | None = None, return_month: str | None = None) -> Path:
    """The CSV template: the header alone, or pre-filled for a council and month."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(council_code, return_month).encode("utf-8"))
    return path


# --- Excel ------------------------------------------------------------------------------


def _range_words(m: Metric) -> str:
    def n(x: float) -> str:
        return f"{int(x):,}" if float(x).is_integer() else f"{x:,}"

    return f"{n(m.lower_bound)} to {n(m.upper_bound)}"


def _frequency_words(m: Metric) -> str:
    return {
        "monthly": "every month",
        "quarterly": "quarterly: March, June, September and December returns",
        "annual": "yearly: March return (financial year)",
    }[m.frequency]


def instructions_lines(council_code: str | None = None, return_month: str | None = None) -> list[tuple[str, str]]:
    """(heading or text, detail) lines of the Instructions sheet."""
    if council_code:
        council = catalogue.councils()[council_code]
        who = (
            f"This workbook is {council.name}'s return for {month_label(return_month)} "
            f"(GSS code {council.code}). It is due by {day_label(return_due(return_month))}."
        )
    else:
        who = (
            "This is the blank return template. Each council sends one return a month, due by the 15th of the "
            "following month (the October return by 15 November)."
        )
    lines = [
        ("West Midlands councils: monthly performance return", ""),
        (who, ""),
        (
            "Fill in the 'Return' sheet (the first sheet): one row per metric. Keep its first row (the header) exactly as it is and "
            "do not add rows above it.",
            "",
        ),
        ("The 'Metrics' sheet says what each metric counts, its unit and the range of values accepted.", ""),
        ("", ""),
        ("Columns", ""),
        *COLUMN_HELP,
        ("", ""),
        ("Periods", ""),
        ("Monthly metrics", "the return month, e.g. 2026-10"),
        (
            "Quarterly metrics",
            "only in the March, June, September and December returns: the calendar quarter, "
            "e.g. 2026-Q3 in the September 2026 return",
        ),
        ("Annual metrics", "only in the March return: the financial year ending that March, e.g. 2025-26"),
        ("", ""),
        ("Status", ""),
        ("required metrics", "their rows start with status actual: give the figure, or change the status"),
        (
            "optional metrics",
            "their rows start with no status and the note '" + OPTIONAL_ROW_NOTE + "': leave such "
            "a row as it is if you do not give the figure (nothing is loaded for it)",
        ),
        ("actual", "a final figure"),
        ("estimate", "a provisional figure; send the corrected figure in a resubmission or next month"),
        ("not_available", "you cannot give the figure: leave value blank and say why in note"),
        ("", ""),
        ("Numbers", ""),
        ("Percentages", "a number from 0 to 100 without the % sign: 85.3, not 85.3% and not 0.853"),
        ("Counts and pounds", "whole numbers without commas or £ signs: 12345"),
        ("Not known", "never '..', 'n/a', '-' or text in a number column: use status not_available and a note"),
        ("", ""),
        (
            "Before you send it",
            "check it on your computer with: councilbench validate FILE --council "
            + (council_code or "YOUR-GSS-CODE")
            + " --period "
            + (return_month or "YYYY-MM"),
        ),
        (
            "Sending",
            "save as Excel Workbook (.xlsx) or CSV UTF-8 (comma delimited) and publish it at "
            + (
                return_address(council_code, return_month)
                if council_code
                else f"your council's return address, {RETURNS_ADDRESS}/<council short name>/YYYY-MM.csv"
            )
            + " (the month's reminder email gives the address in full). To correct a return, publish the "
            "corrected file at the same address: the newest file replaces the earlier one.",
        ),
    ]
    return lines


def write_template_xlsx(path: Path | str, council_code: str | None = None, return_month: str | None = None) -> Path:
    """The Excel template: Return (header, pre-filled rows when a council and month are
    given), Instructions, and Metrics (what each metric due means)."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = template_rows(council_code, return_month)
    metrics = catalogue.metrics()
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    optional_font = Font(italic=True, color="595959")

    wb = openpyxl.Workbook()
    ret = wb.active
    ret.title = "Return"
    ins = wb.create_sheet("Instructions")
    ins.column_dimensions["A"].width = 28
    ins.column_dimensions["B"].width = 110
    for i, (a, b) in enumerate(instructions_lines(council_code, return_month), start=1):
        ins.cell(i, 1, a or None).alignment = wrap
        ins.cell(i, 2, b or None).alignment = wrap
        if a and not b and i > 1 and a in ("Columns", "Periods", "Status", "Numbers"):
            ins.cell(i, 1).font = Font(bold=True, size=12)
    ins.cell(1, 1).font = Font(bold=True, size=14)

    ret.append(list(COLUMNS))
    for cell in ret[1]:
        cell.font = bold
        cell.fill = header_fill
    ret.freeze_panes = "A2"
    widths = {
        "council_code": 13,
        "period": 10,
        "metric_id": 48,
        "value": 12,
        "numerator": 14,
        "denominator": 14,
        "status": 14,
        "note": 60,
    }
    last_row = max(len(rows) + 1, 200)
    text_columns = ("council_code", "period", "metric_id", "status", "note")
    for j, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(j)
        ret.column_dimensions[letter].width = widths[column]
        if column in text_columns:
            # a text column, so Excel keeps 2026-10 as typed instead of making it a date
            ret.column_dimensions[letter].number_format = "@"
    for i, r in enumerate(rows, start=2):
        for j, column in enumerate(COLUMNS, start=1):
            cell = ret.cell(i, j, r[column] or None)
            if column in text_columns:
                cell.number_format = "@"
        m = metrics[r["metric_id"]]
        ret.cell(i, 3).comment = Comment(
            f"{m.metric_name}\nUnit: {UNIT_WORDS.get(m.unit, m.unit)}\nAccepted: {_range_words(m)}"
            + ("" if m.required else "\nOptional: leave the row as it is to skip it"),
            "councilbench",
            width=320,
            height=120,
        )
        if not m.required:
            ret.cell(i, COLUMNS.index("note") + 1).font = optional_font
    status_col = openpyxl.utils.get_column_letter(COLUMNS.index("status") + 1)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        error="Choose actual, estimate or not_available",
        errorTitle="status",
        prompt="actual, estimate or not_available (then say why in note)",
        promptTitle="status",
    )
    dv.add(f"{status_col}2:{status_col}{last_row}")
    ret.add_data_validation(dv)

    # Headings deliberately avoid the contract's column names: only 'Return' has the header.
    guide = wb.create_sheet("Metrics")
    heads = [
        "Metric",
        "Name",
        "Service",
        "Unit",
        "How often",
        "Period to enter" if council_code else "Reported by",
        "Required",
        "What to count (top of the fraction)",
        "Out of (bottom of the fraction)",
        "Scale",
        "Accepted range",
        "Definition",
    ]
    guide.append(heads)
    for cell in guide[1]:
        cell.font = bold
        cell.fill = header_fill
    guide.freeze_panes = "B2"
    if council_code:
        listed = metrics_due(council_code, return_month)
    else:
        listed = [(m, "") for m in metrics.values() if m.from_council_return]
    for m, period in listed:
        who = period or ", ".join(t.replace("_", " ") for t in m.delivering_tiers)
        ratio = m.value_type in ("proportion", "mean")
        guide.append(
            [
                m.metric_id,
                m.metric_name,
                m.service_area.replace("_", " "),
                UNIT_WORDS.get(m.unit, m.unit),
                _frequency_words(m),
                who,
                "yes" if m.required else "no (send it if you can)",
                m.numerator if ratio else "",
                m.denominator if ratio else "",
                (f"{m.scale:g}" if ratio else ""),
                _range_words(m),
                m.definition,
            ]
        )
    for letter, width in zip("ABCDEFGHIJKL", (46, 50, 18, 34, 24, 26, 14, 50, 50, 8, 18, 90), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap

    wb.active = 0  # open on the Return sheet
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(deterministic_xlsx(wb))
    return path


def write_templates(
    folder: Path | str,
    council_code: str | None = None,
    return_month: str | None = None,
    formats: tuple[str, ...] = ("csv", "xlsx"),
) -> list[Path]:
    """Write the CSV and/or Excel template into a folder; the files written."""
    folder = Path(folder)
    out = []
    if "csv" in formats:
        out.append(
            write_template_csv(folder / template_name(council_code, return_month, "csv"), council_code, return_month)
        )
    if "xlsx" in formats:
        out.append(
            write_template_xlsx(folder / template_name(council_code, return_month, "xlsx"), council_code, return_month)
        )
    return out


def write_blank_templates(folder: Path | str = TEMPLATES_DIR) -> list[Path]:
    """(Re)generate the committed blank templates."""
    return write_templates(folder)


if __name__ == "__main__":
    for written in write_blank_templates():
        print(written)


#: Fixed timestamp inside generated XLSX files, so the same input gives the same bytes.
XLSX_TIMESTAMP = (2026, 1, 1, 0, 0, 0)


def deterministic_xlsx(wb) -> bytes:
    """Save an openpyxl workbook with fixed timestamps, so equal input gives equal bytes."""
    import datetime as dt
    import re
    import zipfile

    stamp = dt.datetime(*XLSX_TIMESTAMP)
    wb.properties.creator = "councilbench"
    wb.properties.created = stamp

    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    data,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_TIMESTAMP)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()
