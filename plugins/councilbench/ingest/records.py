"""A landed table file's bytes -> rows of cells, or the plain reason it cannot be read.

One reader for the source kinds a council sends as a CSV or XLSX table (spend, pay):
each passes its own `FileWords` (what the file is called, what the council does with
it) and its own header test, so the messages differ only in those words.

The content decides the format, never the name: a council's site may serve an XLSX
called .csv, a zip called .csv, or a sign-in page with status 200. CSV cells stay text;
XLSX cells keep Excel's types (a date cell is a date, a number is a float), so the value
readers see what Excel stored rather than what a column width displayed.

Row numbers are the ones the council sees in Excel: the first line of the file (or the
first row of the sheet) is row 1, title rows included.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from councilbench.ingest.checks import CheckOutcome, overall, unreadable
from councilbench.ingest.landing import limit_words, size_words
from councilbench.ingest.words import quote_list

#: What openpyxl raises while reading the rows of a damaged workbook opened read-only (the
#: sheets are read lazily, so a broken part of the zip or its XML shows only then): the
#: zip's framing, its compressed data, a truncated stream, malformed XML (ElementTree's
#: and lxml's parse errors are SyntaxErrors).
DAMAGED_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError)

SNIFF_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"

_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls) or another old-format Office file"),
)

Row = tuple[int, list]  # (spreadsheet row number, cells)


@dataclass(frozen=True)
class FileWords:
    """The words a source kind's messages put around the shared ones."""

    kind: str  # 'spend': a spend file, not a spend table, each have a spend header
    send: str  # what the council does with the file: 'publish', 'deposit'
    send_again: str  # 'Publish the spend file again'
    save_as: str  # how to save the file so it reads, one sentence without its full stop
    sent: str  # the empty file 'was {sent} before it was saved'
    usual_size: str  # after 'the limit is 20 MB, and ': how big such a file is, and what to check
    check_address: str  # after 'a sign-in, error or 'page not found' page: '
    comma_risk: str  # after 'not commas, so ': what a comma in a number could do
    which_sheet: str  # after 'so it is not clear which one ': which sheet is wanted, and what to do
    archive_advice: str = ""  # after save_as when the file is a ZIP archive holding something


class Unreadable(Exception):
    """The file's content is not the kind's table; the message says why, for the council."""


@dataclass
class Records:
    rows: list[Row]  # every row of the sheet, header and title rows included
    file_format: str  # csv | xlsx
    encoding: str | None = None
    sheet_name: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class TableRead:
    """What reading one table file gave, the parts every kind shares: its findings (the
    first always `readable`) and, when it could be read, its frame and where it came from.
    A kind's result adds its own (spend's normalisations, pay's personal data)."""

    source_name: str
    size_bytes: int
    findings: list[CheckOutcome] = field(default_factory=list)
    frame: object = None  # a pandas DataFrame of the kind's columns; None when nothing was read
    file_format: str | None = None  # csv | xlsx
    encoding: str | None = None
    sheet_name: str | None = None
    header_row: int | None = None
    header: list[str] = field(default_factory=list)  # the header cells as written
    columns: dict[str, str] = field(default_factory=dict)  # the kind's column -> the header read for it

    def finding(self, check: str) -> CheckOutcome | None:
        return next((f for f in self.findings if f.check == check), None)

    @property
    def readable(self) -> CheckOutcome:
        return self.finding("readable") or unreadable("not read yet")

    @property
    def outcome(self) -> str:
        return overall(self.findings)

    @property
    def ok(self) -> bool:
        """Read without a failing finding: the frame can be validated and loaded."""
        return self.frame is not None and self.outcome != "fail"

    def fail_unreadable(self, message: str) -> Self:
        self.findings = [unreadable(message)]
        self.frame = None
        return self

    def read_records(self, reader: TableReader, path: Path, media_type: str | None, max_bytes: int) -> Records | None:
        """The file's rows of cells, or None when it cannot be read (then its one finding says why)."""
        try:
            records = reader.read_file(path, self.source_name, media_type, max_bytes)
        except Unreadable as exc:
            self.fail_unreadable(str(exc))
            return None
        self.file_format, self.encoding, self.sheet_name = records.file_format, records.encoding, records.sheet_name
        return records


@dataclass(frozen=True)
class TableReader:
    """How one source kind's tables are read: its words, its header test, and how far
    down a title block may push the header."""

    words: FileWords
    is_header: Callable[[list], bool]
    header_search_rows: int
    #: Rows of a headerless first sheet kept for the reader to describe (None: all of
    #: them, for a kind that looks for personal data in every row).
    headerless_rows: int | None = None

    def read_file(self, path: Path, name: str, media_type: str | None, max_bytes: int) -> Records:
        """Rows of cells from a landed file, which is not read at all when empty or bigger
        than `max_bytes` (a runaway file). Raises Unreadable with the council's words."""
        size, words = path.stat().st_size, self.words
        if size == 0:
            raise Unreadable(
                f"The file is empty (0 bytes): the address served nothing, or the file was {words.sent} before it "
                f"was saved. {words.send_again}."
            )
        if size > max_bytes:
            raise Unreadable(
                f"The file is {size_words(size)}; the limit is {limit_words(max_bytes)}, and {words.usual_size}."
            )
        return self.read(path.read_bytes(), name, media_type)

    def read(self, data: bytes, name: str, media_type: str | None = None) -> Records:
        """Rows of cells from a CSV or XLSX file. Raises Unreadable with the council's words."""
        head, words = data[:SNIFF_BYTES], self.words
        if is_web_page(head, media_type):
            title = page_title(head)
            raise Unreadable(
                f"The address served a web page, not a {words.kind} file "
                + (f"(its title is '{title}')" if title else "(it has no title)")
                + f". This is usually a sign-in, error or 'page not found' page: {words.check_address}."
            )
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            kind = zip_kind(data)
            if kind != "xlsx":
                advice = words.save_as + (words.archive_advice if "ZIP" in kind else "")
                raise Unreadable(f"The file '{name}' is {kind}, not a {words.kind} table. {advice}.")
            records = self._read_xlsx(data)
            if not name.lower().endswith((".xlsx", ".xlsm")):
                records.notes.append(f"read '{name}' as an Excel workbook (.xlsx): that is what its content is")
            return records
        for magic, what in _SIGNATURES:
            if head.startswith(magic):
                raise Unreadable(f"The file '{name}' is {what}, not a {words.kind} table. {words.save_as}.")
        if b"\x00" in head[:8192]:
            raise Unreadable(f"The file '{name}' is binary data, not text (it contains NUL bytes). {words.save_as}.")
        return self._read_csv(data)

    # --- CSV ------------------------------------------------------------------------------

    def _read_csv(self, data: bytes) -> Records:
        words, notes = self.words, []
        text, encoding = _decode(data, notes, words.save_as)
        if not text.strip():
            raise Unreadable(f"The file has no rows at all, only blank lines or spaces. {words.send_again}.")
        lines = text.splitlines()[: self.header_search_rows]
        if not any(self.is_header(_split(line, ",")) for line in lines):
            for delimiter, name in ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")):
                if any(self.is_header(_split(line, delimiter)) for line in lines):
                    raise Unreadable(
                        f"The file separates its columns with {name}, not commas, so {words.comma_risk}. "
                        f"{words.save_as}."
                    )
        try:
            rows = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=False))]
        except csv.Error as exc:
            raise Unreadable(f"The file could not be read as CSV ({exc}). {words.save_as}.") from None
        return Records(rows, "csv", encoding=encoding, notes=notes)

    # --- XLSX -----------------------------------------------------------------------------

    def _read_xlsx(self, data: bytes) -> Records:
        import warnings

        import openpyxl

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles and data validation
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
            raise Unreadable(
                f"The file looks like an Excel workbook (.xlsx) but could not be opened ({type(exc).__name__}). "
                f"Open it in Excel, save it again and {self.words.send} that."
            ) from None
        try:
            return self._sheet_records(wb)
        except DAMAGED_WORKBOOK as exc:  # read-only: a damaged part shows only when its rows are read
            raise Unreadable(
                f"The file looks like an Excel workbook (.xlsx) but part of it could not be read "
                f"({type(exc).__name__}). Open it in Excel, save it again and {self.words.send} that."
            ) from None
        finally:
            wb.close()

    def _sheet_records(self, wb) -> Records:
        kind = self.words.kind
        with_header = [
            ws
            for ws in wb.worksheets
            if any(self.is_header(list(r)) for r in ws.iter_rows(max_row=self.header_search_rows, values_only=True))
        ]
        if not with_header:  # the kind's reader says what the first sheet holds
            first = wb.worksheets[0]
            rows = first.iter_rows(max_row=self.headerless_rows, values_only=True)
            return Records([(i + 1, list(c)) for i, c in enumerate(rows)], "xlsx", sheet_name=first.title)
        if len(with_header) > 1:
            raise Unreadable(
                f"Sheets {quote_list([ws.title for ws in with_header])} each have a {kind} header, so it is not "
                f"clear which one {self.words.which_sheet}."
            )
        ws = with_header[0]
        notes = []
        if len(wb.worksheets) > 1:
            notes.append(f"read sheet '{ws.title}', the only sheet with a {kind} header")
        # values_only rows come one per sheet row (blank ones included), so i + 1 is the row.
        rows = [(i + 1, list(cells)) for i, cells in enumerate(ws.iter_rows(values_only=True))]
        return Records(rows, "xlsx", sheet_name=ws.title, notes=notes)


def _decode(data: bytes, notes: list[str], save_as: str) -> tuple[str, str]:
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
            f"neither), so its characters cannot be read safely. {save_as}."
        ) from None
    notes.append("read the file as Windows-1252 text (Excel's 'CSV (comma delimited)'), as it is not UTF-8")
    return text, "windows-1252"


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


# --- sniffing -------------------------------------------------------------------------


def is_web_page(head: bytes, media_type: str | None) -> bool:
    """An HTML page (a sign-in or error page served with status 200), by its content or,
    when the server says text/html, by its first character."""
    stripped = head.lstrip(UTF8_BOM).lstrip()
    served_html = (media_type or "").split(";")[0].strip().lower() == "text/html"
    return stripped[:64].lower().startswith((b"<!doctype html", b"<html")) or (
        served_html and stripped.startswith(b"<")
    )


def page_title(head: bytes) -> str | None:
    m = re.search(r"<title[^>]*>(.*?)</title>", head.decode("utf-8", "replace"), re.IGNORECASE | re.DOTALL)
    title = " ".join(html.unescape(m.group(1)).split()) if m else ""
    return title[:120] or None


def zip_kind(data: bytes) -> str:
    """'xlsx' for an Excel workbook, else what the zip archive is, in words."""
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
