"""The shared table reader (ingest/records.py) says what a file is in the kind's own words:
the same sniffing for spend and pay, only the words around it differ."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from councilbench.ingest.records import FileWords, TableRead, TableReader, Unreadable
from councilbench.ingest.words import column_letter, quote_list, row_list

WORDS = FileWords(
    kind="widget",
    send="send",
    send_again="Send the widget file again",
    save_as="Save it as CSV",
    sent="sent",
    usual_size="a widget file is small",
    check_address="check the address",
    comma_risk="a number could be misread",
    which_sheet="holds the widgets. Use one sheet",
    archive_advice=", not an archive",
)
READER = TableReader(WORDS, lambda cells: "widget" in [str(c).lower() for c in cells], header_search_rows=5)


def refused(data: bytes, media_type: str | None = None) -> str:
    with pytest.raises(Unreadable) as caught:
        READER.read(data, "w.csv", media_type)
    return str(caught.value)


def workbook(*sheets: str) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = sheets[0]
    for title in sheets[1:]:
        wb.create_sheet(title)
    for ws in wb.worksheets:
        ws.append(["Widget", "Count"])
        ws.append(["bolt", 3])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_what_a_file_is_is_said_in_the_kinds_words():
    page = refused(b"<!DOCTYPE html><html><title>Sign in</title></html>")
    assert page.startswith("The address served a web page, not a widget file (its title is 'Sign in').")
    assert page.endswith("'page not found' page: check the address.")
    assert refused(b"<p>hi</p>", "text/html; charset=utf-8").endswith("check the address.")

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("spend.csv", "a,b\n")
    assert refused(archive.getvalue()) == (
        "The file 'w.csv' is a ZIP archive holding spend.csv, not a widget table. Save it as CSV, not an archive."
    )
    assert refused(b"%PDF-1.4") == "The file 'w.csv' is a PDF document, not a widget table. Save it as CSV."
    assert "binary data, not text" in refused(b"ab\x00cd")
    assert refused(b"  \n\n") == "The file has no rows at all, only blank lines or spaces. Send the widget file again."
    assert refused(b"Widget;Count\nbolt;3\n").startswith("The file separates its columns with semicolons (;)")


def test_a_csv_and_a_workbook_are_read_as_rows_numbered_as_excel_does():
    csv = READER.read(b"Title\nWidget,Count\nbolt,3\n", "w.csv")
    assert csv.file_format == "csv" and csv.encoding == "utf-8"
    assert csv.rows == [(1, ["Title"]), (2, ["Widget", "Count"]), (3, ["bolt", "3"])]
    assert READER.read("Widget\ncaf\u00e9\n".encode("cp1252"), "w.csv").encoding == "windows-1252"

    xlsx = READER.read(workbook("Widgets"), "w.csv")
    assert xlsx.file_format == "xlsx" and xlsx.rows == [(1, ["Widget", "Count"]), (2, ["bolt", 3])]
    assert xlsx.notes == ["read 'w.csv' as an Excel workbook (.xlsx): that is what its content is"]
    assert refused(workbook("A", "B")) == (
        "Sheets 'A' and 'B' each have a widget header, so it is not clear which one holds the widgets. Use one sheet."
    )


def test_an_empty_or_runaway_file_is_not_read(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(Unreadable, match=r"was sent before it was saved\. Send the widget file again\."):
        READER.read_file(empty, "empty.csv", None, max_bytes=1024)
    big = tmp_path / "big.csv"
    big.write_bytes(b"Widget\n" * 400)
    with pytest.raises(Unreadable, match=r"The file is 2\.7 KB; the limit is 1\.0 KB, and a widget file is small\."):
        READER.read_file(big, "big.csv", None, max_bytes=1024)


def test_the_shared_phrases():
    assert row_list([9, 2, 4, 7, 8, 11, 12]) == "rows 2, 4, 7, 8, 9 and 2 more"
    assert quote_list(["a", "b", "c"]) == "'a', 'b' and 'c'" and quote_list([]) == "none"
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_table_read_keeps_why_a_file_cannot_be_read(tmp_path):
    page = tmp_path / "page.csv"
    page.write_bytes(b"<html><title>Error</title></html>")
    result = TableRead(source_name="page.csv", size_bytes=page.stat().st_size)
    assert result.read_records(READER, page, None, max_bytes=1024) is None
    assert [f.check for f in result.findings] == ["readable"] and result.outcome == "fail" and not result.ok
    assert "(its title is 'Error')" in result.readable.message

    good = tmp_path / "good.csv"
    good.write_bytes(b"Widget\nbolt\n")
    result = TableRead(source_name="good.csv", size_bytes=good.stat().st_size)
    records = result.read_records(READER, good, None, max_bytes=1024)
    assert records.rows == [(1, ["Widget"]), (2, ["bolt"])] and (result.file_format, result.encoding) == (
        "csv",
        "utf-8",
    )


def test_a_workbook_damaged_inside_a_sheet_is_refused_in_the_kinds_words():
    """A read-only workbook reads its sheets lazily: it opens, and a damaged sheet shows
    only while its rows are read (the returns parser's property test found it crashing)."""
    wb = openpyxl.Workbook()
    wb.active.title = "Widgets"
    wb.active.append(["Widget", "Count"])
    for i in range(2000):
        wb.active.append([f"bolt {i}", i])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
    # the sheet's compressed bytes start after its local header (30 bytes, name, extra field)
    name_length = int.from_bytes(data[sheet.header_offset + 26 : sheet.header_offset + 28], "little")
    extra_length = int.from_bytes(data[sheet.header_offset + 28 : sheet.header_offset + 30], "little")
    start = sheet.header_offset + 30 + name_length + extra_length
    data[start + sheet.compress_size // 2] ^= 0xFF
    with pytest.raises(Unreadable) as caught:
        READER.read(bytes(data), "w.xlsx")
    assert "part of it could not be read" in str(caught.value)
    assert "save it again and send that" in str(caught.value)
