"""A landed pay deposit's bytes -> rows of cells, or the plain reason it cannot be read.

The content decides the format, never the name: an XLSX called .csv is read as a
workbook, a zip called .csv or a sign-in page served with status 200 is said to be what
it is. CSV cells stay text; XLSX cells keep Excel's types (a number is a number).

Row numbers are the ones the HR lead sees in Excel: the first line of the file (or the
first row of the sheet) is row 1.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from councilbench.pay.columns import HEADER_SEARCH_ROWS, is_header
from councilbench.pay.words import quote_list

SNIFF_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
SAVE_AS = "Save it from Excel as 'CSV UTF-8 (comma delimited)' or as an Excel workbook (.xlsx) and deposit that"

_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls) or another old-format Office file"),
)

Row = tuple[int, list]  # (spreadsheet row number, cells)


class Unreadable(Exception):
    """The file's content is not a pay table; the message says why, for the council."""


@dataclass
class Records:
    rows: list[Row]  # every row of the sheet, header and title rows included
    file_format: str  # csv | xlsx
    encoding: str | None = None
    sheet_name: str | None = None
    notes: list[str] = field(default_factory=list)


def read_records(data: bytes, name: str, media_type: str | None = None) -> Records:
    """Rows of cells from a CSV or XLSX file. Raises Unreadable with the council's words."""
    head = data[:SNIFF_BYTES]
    stripped = head.lstrip(UTF8_BOM).lstrip()
    served_html = (media_type or "").split(";")[0].strip().lower() == "text/html"
    if stripped[:64].lower().startswith((b"<!doctype html", b"<html")) or (served_html and stripped.startswith(b"<")):
        title = _html_title(head)
        raise Unreadable(
            "The address served a web page, not a pay file "
            + (f"(its title is '{title}')" if title else "(it has no title)")
            + ". This is usually a sign-in, error or 'page not found' page: check the deposit's address and that "
            "the file downloads without signing in."
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind = _zip_kind(data)
        if kind != "xlsx":
            raise Unreadable(f"The file '{name}' is {kind}, not a pay table. {SAVE_AS}.")
        records = _read_xlsx(data)
        if not name.lower().endswith((".xlsx", ".xlsm")):
            records.notes.append(f"read '{name}' as an Excel workbook (.xlsx): that is what its content is")
        return records
    for magic, words in _SIGNATURES:
        if head.startswith(magic):
            raise Unreadable(f"The file '{name}' is {words}, not a pay table. {SAVE_AS}.")
    if b"\x00" in head[:8192]:
        raise Unreadable(f"The file '{name}' is binary data, not text (it contains NUL bytes). {SAVE_AS}.")
    return _read_csv(data)


def _decode(data: bytes, notes: list[str]) -> tuple[str, str]:
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Unreadable(
            f"The file is not text in UTF-8 or Windows-1252 (byte 0x{data[exc.start]:02X} on line {line} is "
            f"neither), so its characters cannot be read safely. {SAVE_AS}."
        ) from None
    notes.append("read the file as Windows-1252 text (Excel's 'CSV (comma delimited)'), as it is not UTF-8")
    return text, "windows-1252"


def _read_csv(data: bytes) -> Records:
    notes: list[str] = []
    text, encoding = _decode(data, notes)
    if not text.strip():
        raise Unreadable("The file has no rows at all, only blank lines or spaces. Deposit the pay file again.")
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    if not any(is_header(_split(line, ",")) for line in lines):
        for delimiter, words in ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")):
            if any(is_header(_split(line, delimiter)) for line in lines):
                raise Unreadable(
                    f"The file separates its columns with {words}, not commas, so a salary such as '24,413' could "
                    f"be read wrongly. {SAVE_AS}."
                )
    try:
        rows = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=False))]
    except csv.Error as exc:
        raise Unreadable(f"The file could not be read as CSV ({exc}). {SAVE_AS}.") from None
    return Records(rows, "csv", encoding=encoding, notes=notes)


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


def _read_xlsx(data: bytes) -> Records:
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and data validation
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        raise Unreadable(
            f"The file looks like an Excel workbook (.xlsx) but could not be opened ({type(exc).__name__}). "
            f"Open it in Excel, save it again and deposit that."
        ) from None
    try:
        with_header = [
            ws
            for ws in wb.worksheets
            if any(is_header(list(r)) for r in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True))
        ]
        if len(with_header) > 1:
            raise Unreadable(
                f"Sheets {quote_list([ws.title for ws in with_header])} each have a pay header, so it is not clear "
                f"which one holds the posts. Put every post on one sheet."
            )
        ws = with_header[0] if with_header else wb.worksheets[0]
        notes = []
        if with_header and len(wb.worksheets) > 1:
            notes.append(f"read sheet '{ws.title}', the only sheet with a pay header")
        rows = [(i + 1, list(cells)) for i, cells in enumerate(ws.iter_rows(values_only=True))]
        return Records(rows, "xlsx", sheet_name=ws.title, notes=notes)
    finally:
        wb.close()


def _html_title(head: bytes) -> str | None:
    m = re.search(r"<title[^>]*>(.*?)</title>", head.decode("utf-8", "replace"), re.IGNORECASE | re.DOTALL)
    title = " ".join(html.unescape(m.group(1)).split()) if m else ""
    return title[:120] or None


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile:
        return "a damaged or incomplete ZIP archive"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "mimetype" in names:
        return "an OpenDocument file (.ods or .odt)"
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx)"
    listed = ", ".join(sorted(names)[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"a ZIP archive holding {listed or 'nothing'}"
