"""parse_return: bytes of a council return -> text rows, with Excel habits handled deliberately.

Each test builds its file in tmp_path. No GX here: parsing must stay fast and light.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import openpyxl

from councilbench.returns.contract import COLUMNS
from councilbench.returns.parse import parse_return

HEADER = ",".join(COLUMNS)
ROW_A = "E08000027,2026-10,waste_fly_tipping_incidents,120,,,actual,"
ROW_B = "E08000027,2026-10,roads_potholes_repaired,340,,,estimate,"


def write(tmp_path: Path, content: bytes | str, name: str = "return.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def csv_text(*rows: str, header: str = HEADER, newline: str = "\r\n") -> str:
    return newline.join([header, *rows]) + newline


# --- what cannot be read ---------------------------------------------------------------


def test_empty_file_fails(tmp_path):
    parsed = parse_return(write(tmp_path, b""))
    assert parsed.readable.outcome == "fail"
    assert parsed.readable.message.startswith("The file is empty (0 bytes)")
    assert parsed.columns is None and parsed.frame is None and not parsed.ok


def test_header_only_fails_with_no_data_rows(tmp_path):
    parsed = parse_return(write(tmp_path, csv_text()))
    assert parsed.readable.outcome == "fail"
    assert "no data rows" in parsed.readable.message


def test_semicolon_delimiter_is_rejected_with_how_to_save(tmp_path):
    text = csv_text("E08000027;2026-10;wf_sickness_days_per_fte;1,2;;;actual;", header=HEADER.replace(",", ";"))
    parsed = parse_return(write(tmp_path, text))
    assert parsed.readable.outcome == "fail"
    msg = parsed.readable.message
    assert "semicolons (;)" in msg and "decimals with a comma" in msg
    assert "'CSV (comma delimited)'" in msg


def test_tab_delimiter_is_rejected_too(tmp_path):
    text = csv_text("\t".join(ROW_A.split(",")), header="\t".join(COLUMNS))
    parsed = parse_return(write(tmp_path, text, "return.txt"))
    assert parsed.readable.outcome == "fail"
    assert "tabs" in parsed.readable.message and "'CSV (comma delimited)'" in parsed.readable.message


def test_file_larger_than_the_limit_fails_fast_on_its_size(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:  # sparse: a valid header, then a hole up to 200 MB
        f.write((HEADER + "\r\n").encode())
        f.truncate(200 * 1024 * 1024)
    started = time.perf_counter()
    parsed = parse_return(path)
    elapsed = time.perf_counter() - started
    assert parsed.readable.outcome == "fail"
    assert parsed.readable.message.startswith(
        "The file is 200.0 MB; a monthly return is normally under 100 KB; the limit is 20 MB."
    )
    assert elapsed < 0.5  # decided from the size alone, nothing read


def test_random_bytes_are_not_a_spreadsheet(tmp_path):
    data = random.Random(7).randbytes(4096)
    parsed = parse_return(write(tmp_path, data, "return.csv"))
    assert parsed.readable.outcome == "fail"
    assert parsed.readable.message.startswith(
        "The file is not a CSV or Excel (.xlsx) return: it looks like binary data"
    )


def test_png_and_pdf_say_what_they_look_like(tmp_path):
    png = parse_return(write(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(200), "return.csv"))
    pdf = parse_return(write(tmp_path, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "return2.csv"))
    assert "it looks like a PNG image" in png.readable.message
    assert "it looks like a PDF document" in pdf.readable.message
    assert png.readable.outcome == pdf.readable.outcome == "fail"


def test_html_error_page_served_with_status_200(tmp_path):
    page = (
        "\ufeff\n  <!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>Sign in &ndash; Dudley Council</title></head><body>Please sign in</body></html>"
    )
    parsed = parse_return(write(tmp_path, page), media_type="text/html; charset=utf-8")
    assert parsed.readable.outcome == "fail"
    assert parsed.readable.message.startswith(
        "The address served a web page, not a return (its title is 'Sign in – Dudley Council')"
    )


def test_bytes_that_are_neither_utf8_nor_windows_1252_fail(tmp_path):
    # 0x81 is undefined in Windows-1252 and invalid on its own in UTF-8.
    data = csv_text(ROW_A).encode() + b"E08000027,2026-10,x,1,,,actual,\x81\r\n"
    parsed = parse_return(write(tmp_path, data))
    assert parsed.readable.outcome == "fail"
    assert "not text in UTF-8 or Windows-1252" in parsed.readable.message
    assert "byte 0x81 on line 3" in parsed.readable.message


def test_title_rows_above_the_header_are_rejected_with_where_the_header_is(tmp_path):
    text = "Dudley MBC monthly return,,,,,,,\r\n,,,,,,,\r\n" + csv_text(ROW_A)
    parsed = parse_return(write(tmp_path, text))
    assert parsed.readable.outcome == "fail"
    assert "but it is 'Dudley MBC monthly return'" in parsed.readable.message
    assert "The header is on row 3: delete the rows above it" in parsed.readable.message


# --- what is normalised ------------------------------------------------------------------


def test_utf8_bom_is_removed_and_noted(tmp_path):
    parsed = parse_return(write(tmp_path, b"\xef\xbb\xbf" + csv_text(ROW_A).encode()))
    assert parsed.ok
    assert list(parsed.frame.columns) == [*COLUMNS, "row_number"]  # no '\ufeffcouncil_code'
    assert "removed a byte-order mark (BOM) at the start of the file" in parsed.normalisations
    assert parsed.encoding == "utf-8"


def test_cp1252_pound_sign_is_read_as_windows_1252_and_noted(tmp_path):
    text = csv_text(ROW_A, ROW_B, 'E08000027,2026-10,wf_fte_employees,2100,,,actual,"£1,200 saved"')
    parsed = parse_return(write(tmp_path, text.encode("cp1252")))
    assert parsed.ok and parsed.encoding == "windows-1252"
    assert "read the file as Windows-1252 because it is not valid UTF-8 ('£' in row 4)" in parsed.normalisations
    assert parsed.frame.loc[parsed.frame.row_number == 4, "note"].item() == "£1,200 saved"


def test_blank_trailing_rows_are_dropped_and_noted(tmp_path):
    text = csv_text(ROW_A, ROW_B) + ",,,,,,,\r\n\r\n,,,,,,,\r\n"
    parsed = parse_return(write(tmp_path, text))
    assert parsed.ok
    assert parsed.frame.row_number.tolist() == [2, 3]
    assert "ignored 3 blank rows at the end" in parsed.normalisations


def test_header_matching_ignores_case_and_spaces_and_cells_stay_text(tmp_path):
    header = " Council_Code ,PERIOD,Metric ID,value,numerator,denominator,Status,note"
    parsed = parse_return(
        write(tmp_path, csv_text("E08000027,2026-10,wf_sickness_days_per_fte,0.85,,,actual,", header=header))
    )
    assert parsed.ok
    row = parsed.frame.iloc[0]
    assert row["metric_id"] == "wf_sickness_days_per_fte" and row["value"] == "0.85"  # text, not 0.85 float
    assert all(str(parsed.frame[c].dtype) in ("str", "object", "string") for c in COLUMNS)
    assert any("'Metric ID' as metric_id" in n for n in parsed.normalisations)


def test_missing_required_column_fails_columns(tmp_path):
    header = "council_code,period,metric_id,numerator,denominator,status,note"  # no value
    parsed = parse_return(write(tmp_path, csv_text("E08000027,2026-10,x,1,2,actual,", header=header)))
    assert parsed.readable.passed
    assert parsed.columns.outcome == "fail" and not parsed.ok
    assert "the header has no value column" in parsed.columns.message
    assert [(f.row, f.column) for f in parsed.columns.failing_rows] == [(1, "value")]


def test_unknown_extra_columns_are_ignored_and_mentioned(tmp_path):
    parsed = parse_return(write(tmp_path, csv_text(ROW_A + ",checked by JS", header=HEADER + ",Comments")))
    assert parsed.ok
    assert "ignored column I 'Comments' (1 filled cells), which is not part of the return" in parsed.normalisations


def test_unquoted_comma_in_a_number_makes_a_row_too_long(tmp_path):
    # Excel quotes "1,234"; a hand-written file may not, which shifts every later cell.
    parsed = parse_return(write(tmp_path, csv_text(ROW_A, "E08000027,2026-10,wf_fte_employees,2,100,,,actual,")))
    assert parsed.columns.outcome == "fail"
    [bad] = parsed.columns.failing_rows
    assert bad.row == 3 and "9 cells" in bad.found and "double quotes" in bad.accepted
    assert parsed.frame.row_number.tolist() == [2]


def test_row_numbers_are_spreadsheet_rows_with_blank_rows_kept_out(tmp_path):
    parsed = parse_return(write(tmp_path, csv_text(ROW_A, ",,,,,,,", ROW_B)))
    assert parsed.frame.row_number.tolist() == [2, 4]
    assert "ignored blank row 3" in parsed.normalisations


# --- XLSX ------------------------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_xlsx_with_the_data_on_the_second_sheet(tmp_path):
    path = _workbook(
        tmp_path / "dudley.xlsx",
        {
            "Instructions": [["How to fill in the monthly return"], ["One row per metric"]],
            "Return": [
                list(COLUMNS),
                ["E08000027", "2026-10", "waste_fly_tipping_incidents", 120, None, None, "actual", None],
                ["E08000027", "2026-10", "wf_sickness_days_per_fte", 0.85, None, None, "actual", None],
            ],
        },
    )
    parsed = parse_return(path)
    assert parsed.ok and parsed.file_format == "xlsx" and parsed.sheet_name == "Return"
    assert (
        "used sheet 'Return' (the second sheet): the other sheet 'Instructions' has no return header"
        in parsed.normalisations
    )
    assert parsed.frame["value"].tolist() == ["120", "0.85"]
    assert parsed.frame.row_number.tolist() == [2, 3]


def test_xlsx_detected_by_content_not_name(tmp_path):
    path = _workbook(
        tmp_path / "upload.bin", {"Return": [list(COLUMNS), ["E08000027", "2026-10", "m", 1, None, None, "actual"]]}
    )
    parsed = parse_return(path, original_name="return.csv")
    assert parsed.ok and parsed.file_format == "xlsx"
    assert "read 'return.csv' as an Excel workbook (.xlsx): that is what its content is" in parsed.normalisations


def test_xlsx_with_no_header_sheet_or_two_header_sheets_fails_naming_sheets(tmp_path):
    none = parse_return(
        _workbook(tmp_path / "a.xlsx", {"Notes": [["hello"]], "Data": [["Dudley return"], list(COLUMNS)]})
    )
    assert none.readable.outcome == "fail"
    assert "Sheets: 'Notes' and 'Data'" in none.readable.message
    two = parse_return(_workbook(tmp_path / "b.xlsx", {"Draft": [list(COLUMNS)], "Final": [list(COLUMNS)]}))
    assert two.readable.outcome == "fail"
    assert "Sheets 'Draft' and 'Final' all start with a return header" in two.readable.message


def test_xlsx_percent_formatted_cells_and_date_periods_read_as_shown(tmp_path):
    import datetime as dt

    path = tmp_path / "fmt.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Return"
    ws.append(list(COLUMNS))
    ws.append(["E08000027", dt.datetime(2026, 10, 1), "wf_agency_staff_pct", 0.083, None, None, "actual", None])
    ws["D2"].number_format = "0.0%"
    wb.save(path)
    parsed = parse_return(path)
    row = parsed.frame.iloc[0]
    assert row["period"] == "2026-10" and row["value"] == "8.3%"
    assert any("row 2: 01/10/2026 read as 2026-10" in n for n in parsed.normalisations)
    # whether the '%' is right depends on the row's metric: the validator words it, once
    assert parsed.percent_cells == {(2, "value"): "0.083"}
    assert not any("percentage" in n for n in parsed.normalisations)


def test_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "return.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    parsed = parse_return(path)
    assert parsed.readable.outcome == "fail"
    assert parsed.readable.message.startswith("The file is a Word document (.docx), not a return.")
