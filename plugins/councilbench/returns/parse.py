"""Bytes of a council's return file -> rows of text, plus what had to be tidied.

A return comes from Excel on a council laptop, so it carries Excel's habits: a
byte-order mark, Windows-1252 '£' signs, blank rows at the end, the data on the second
sheet of a workbook. This module normalises only what is unambiguous, records every
normalisation in plain words, and rejects everything else with a message a council
performance officer can act on. Nothing is coerced to numbers here: every cell stays
text exactly as written, so later messages can quote it back.

Decisions (why, not what):
- UTF-8 first, then Windows-1252 (what Excel's "CSV (comma delimited)" writes on a UK
  PC). Any other encoding is guessing, so it is rejected.
- Semicolon- and tab-separated files are rejected, not converted. Semicolons come from
  Excel set to a region that writes decimal commas, and a tab-separated export says
  nothing about the region either: in both, '1,234' may mean 1.234 or 1234. A wrong
  guess is a figure off by a factor of a thousand that nobody notices; re-saving as
  "CSV (comma delimited)" costs the council a minute.
- Row numbers are the row numbers Excel shows: the header is row 1, the first data
  row is row 2 (if blank rows sit above the header, numbering still follows the sheet).
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from councilbench.ingest.landing import limit_words, size_words
from councilbench.ingest.records import DAMAGED_WORKBOOK, is_web_page
from councilbench.returns.contract import (
    COLUMNS,
    REQUIRED_COLUMNS,
    CheckOutcome,
    FailingRow,
)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # a return has about 60 rows; this is a runaway sheet
HEADER_MIN_KNOWN = 3  # a row naming 3+ contract columns is the return header
SNIFF_BYTES = 64 * 1024

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

SAVE_AS_CSV = (
    "Save it from Excel as 'CSV UTF-8 (comma delimited)' or 'CSV (comma delimited)', or upload the .xlsx workbook"
)

# Magic bytes -> what the file looks like to a person.
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls), another old-format Office file or a password-protected workbook",
    ),
)


@dataclass
class ParsedReturn:
    """What parse_return read. `frame` is None unless the file was readable."""

    source_name: str
    size_bytes: int
    readable: CheckOutcome
    columns: CheckOutcome | None = None  # None when the file could not be read
    frame: object = None  # pandas DataFrame: COLUMNS as text + row_number (int)
    normalisations: list[str] = field(default_factory=list)
    file_format: str | None = None  # csv | xlsx
    encoding: str | None = None  # utf-8 | windows-1252 (CSV only)
    sheet_name: str | None = None  # XLSX only
    header: list[str] = field(default_factory=list)  # header cells as written
    #: XLSX cells formatted as a percentage: (row, column) -> the number stored. The
    #: frame holds what Excel shows ('8.3%' for 0.083); whether that is right depends on
    #: the row's metric, so the validator words it, once.
    percent_cells: dict[tuple[int, str], str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Readable and every required column present: the rows can be validated."""
        return (
            self.readable.passed
            and self.columns is not None
            and self.columns.outcome != "fail"
            and self.frame is not None
        )

    @property
    def data_row_count(self) -> int:
        return 0 if self.frame is None else len(self.frame)


def _fail_readable(message: str) -> CheckOutcome:
    return CheckOutcome("readable", "fail", "fail", message)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how Excel names the column."""
    return get_column_letter(index + 1)


def _ordinal(n: int) -> str:
    words = {
        1: "first",
        2: "second",
        3: "third",
        4: "fourth",
        5: "fifth",
        6: "sixth",
        7: "seventh",
        8: "eighth",
        9: "ninth",
        10: "tenth",
    }
    return words.get(n, f"{n}th")


def _quote_list(items) -> str:
    items = [f"'{i}'" for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _row_list(rows: list[int]) -> str:
    rows = sorted(rows)
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:10])
    return f"rows {shown}" + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")


# --- header ---------------------------------------------------------------------------


def canonical_header(cell: str) -> str:
    """'  Council Code ' -> 'council_code': case-insensitive, spaces trimmed, inner spaces or
    hyphens read as underscores (unambiguous: no two contract columns differ only so)."""
    return re.sub(r"[\s\-]+", "_", str(cell).strip().lower())


def _known_count(cells: list[str]) -> int:
    return len({canonical_header(c) for c in cells} & set(COLUMNS))


def is_return_header(cells: list[str]) -> bool:
    return _known_count(cells) >= HEADER_MIN_KNOWN


def _blank(cells) -> bool:
    return all(str(c).strip() == "" for c in cells)


# --- sniffing -------------------------------------------------------------------------


def _html_title(head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace")
    m = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    title = " ".join(html.unescape(m.group(1)).split())
    return title[:120] + ("…" if len(title) > 120 else "") if title else None


def _binary_reason(head: bytes) -> str | None:
    """What a non-text file looks like, or None when it may be text."""
    for magic, words in _SIGNATURES:
        if head.startswith(magic):
            return words
    if head.lstrip().startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return "an 'XML Spreadsheet 2003' file"
        return "an XML document"
    sample = head[:8192]
    if b"\x00" in sample:
        return "binary data, not text (it contains NUL bytes)"
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32 or b == 127)
    if sample and controls / len(sample) > 0.05:
        return "binary data, not text"
    return None


def _zip_kind(data: bytes) -> str:
    """'xlsx' for an Excel workbook, else what the zip archive holds, in words."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].decode("ascii", errors="replace")
                if "spreadsheet" in mime:
                    return "an OpenDocument spreadsheet (.ods)"
                return f"an OpenDocument file ({mime})"
            if any(n.startswith("word/") for n in names):
                return "a Word document (.docx)"
            if any(n.startswith("ppt/") for n in names):
                return "a PowerPoint presentation (.pptx)"
            return "a ZIP archive (" + ", ".join(sorted(names)[:5]) + ")"
    except zipfile.BadZipFile:
        return "a damaged or incomplete ZIP file"


# --- decoding -------------------------------------------------------------------------


def _decode(data: bytes, notes: list[str]) -> tuple[str | None, str | None, str | None]:
    """(text, encoding, error message)."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        notes.append("removed a byte-order mark (BOM) at the start of the file")
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252"), "windows-1252", None
        except UnicodeDecodeError as cp_error:
            bad = data[cp_error.start : cp_error.start + 1].hex().upper()
            line = data[: cp_error.start].count(b"\n") + 1
            return (
                None,
                None,
                (
                    f"The file is not text in UTF-8 or Windows-1252, the encodings Excel uses for CSV (byte 0x{bad} "
                    f"on line {line} is neither), so its characters cannot be read safely. {SAVE_AS_CSV}."
                ),
            )


def _first_non_ascii_row(records: list[tuple[int, list[str]]]) -> tuple[int, str] | None:
    for row_number, cells in records:
        for cell in cells:
            for ch in cell:
                if ord(ch) > 127:
                    return row_number, ch
    return None


# --- CSV ------------------------------------------------------------------------------


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


def _read_csv(text: str, notes: list[str]) -> tuple[list[tuple[int, list[str]]] | None, str | None]:
    """Records as (spreadsheet row number, cells), or an error message."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return (
            None,
            "The file has no rows at all, only blank lines or spaces. Upload the return with its header row and one row per metric.",
        )
    # Excel writes (and honours) a first line 'sep=,' naming the delimiter; it hides it
    # when it opens the file, so rows are numbered as if it were not there.
    sep = re.fullmatch(r'"?sep=(.)"?,*', lines[first].strip())
    if sep:
        if sep.group(1) != ",":
            return None, _delimiter_message(sep.group(1))
        notes.append("ignored the first line 'sep=,' (an Excel hint naming the delimiter)")
        text = "\n".join(lines[first + 1 :])
        lines = text.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None:
            return None, "The file has no header row and no data rows after its 'sep=,' line."
    header_line = lines[first]
    by_delimiter = {d: _known_count(_split(header_line, d)) for d in (",", ";", "\t", "|")}
    best = max(by_delimiter, key=lambda d: by_delimiter[d])
    if by_delimiter[best] >= HEADER_MIN_KNOWN and by_delimiter[best] > by_delimiter[","]:
        return None, _delimiter_message(best)
    try:
        records = [(i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=False))]
    except csv.Error as exc:
        return None, f"The file could not be read as CSV ({exc}). {SAVE_AS_CSV}."
    return records, None


def _delimiter_message(delimiter: str) -> str:
    if delimiter == ";":
        return (
            "The file uses semicolons (;) to separate columns, not commas. Excel does this when the "
            "computer is set to a region that writes decimals with a comma (12,5), so numbers in this file "
            "cannot be read safely. " + SAVE_AS_CSV + " (with the computer's region set to United Kingdom)."
        )
    if delimiter == "\t":
        return (
            "The file uses tabs to separate columns (a 'Text (Tab delimited)' or 'Unicode Text' export), "
            "not commas, and a tab-separated file does not say whether '1,234' means one thousand two hundred "
            "and thirty-four or 1.234. " + SAVE_AS_CSV + "."
        )
    name = {"|": "vertical bars (|)"}.get(delimiter, f"'{delimiter}'")
    return f"The file uses {name} to separate columns, not commas. {SAVE_AS_CSV}."


# --- XLSX -----------------------------------------------------------------------------


def _number_text(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".15g")


class _XlsxCells:
    """Turns openpyxl cells into the text a person sees, counting what that took."""

    def __init__(self) -> None:
        self.percent_cells: dict[tuple[int, str], str] = {}  # (row, column) -> stored
        self.date_periods: list[tuple[int, str, str]] = []  # (row, date, period)

    def text(self, cell, row_number: int, column: str | None) -> str:
        import datetime as dt

        v = getattr(cell, "value", None)
        if v is None:
            return ""
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            fmt = getattr(cell, "number_format", "") or ""
            if "%" in fmt.replace('"%"', ""):
                # Excel stores 85.3% as 0.853 and shows 85.3%: read what the officer sees.
                shown = format(round(v * 100, 10), ".12g") + "%"
                if column:
                    self.percent_cells[(row_number, column)] = _number_text(v)
                return shown
            return _number_text(v)
        if isinstance(v, dt.datetime | dt.date):
            d = v.date() if isinstance(v, dt.datetime) else v
            has_time = isinstance(v, dt.datetime) and v.time() != dt.time(0)
            if column == "period" and d.day == 1 and not has_time:
                # Excel turns a typed 2026-10 into the date 1 October 2026.
                period = f"{d.year:04d}-{d.month:02d}"
                self.date_periods.append((row_number, d.strftime("%d/%m/%Y"), period))
                return period
            return v.isoformat(sep=" ") if has_time else d.isoformat()
        return str(v)

    def notes(self) -> list[str]:
        out = []
        if self.date_periods:
            row, date, period = self.date_periods[0]
            n = len(self.date_periods)
            out.append(
                f"read {n} date{'s' if n > 1 else ''} in the period column as the month "
                f"(Excel turns 2026-10 into a date; row {row}: {date} read as {period})"
            )
        return out


def _read_xlsx(
    data: bytes, notes: list[str], percent_cells: dict
) -> tuple[list[tuple[int, list[str]]] | None, list[str] | None, str | None, str | None]:
    """(records including the header, header column names, sheet name, error); the
    percentage-formatted cells go into `percent_cells`."""
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation, styles ...
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        return None, None, None, _damaged_workbook(exc)
    try:
        candidates = []  # (sheet index, name, header row number, header cells)
        described = []
        for index, ws in enumerate(wb.worksheets):
            first = None
            for offset, row in enumerate(ws.iter_rows(min_row=1, max_row=50)):
                cells = ["" if getattr(c, "value", None) is None else str(c.value) for c in row]
                if not _blank(cells):
                    first = (1 + offset, cells)
                    break
            if first and is_return_header(first[1]):
                candidates.append((index, ws.title, first[0], first[1]))
            described.append(ws.title)
        if not candidates:
            return (
                None,
                None,
                None,
                (
                    f"No sheet of the workbook starts with the return header ({', '.join(COLUMNS)}) in its first "
                    f"non-empty row. Sheets: {_quote_list(described)}. Put the return on one sheet with the header "
                    f"as its first row, or use the published template."
                ),
            )
        if len(candidates) > 1:
            return (
                None,
                None,
                None,
                (
                    f"Sheets {_quote_list(c[1] for c in candidates)} all start with a return header, so it is not "
                    f"clear which one is the return. Delete the other sheets (or their headers) and upload it again."
                ),
            )
        index, name, header_row, _ = candidates[0]
        if index > 0:
            others = [s for i, s in enumerate(described) if i != index]
            notes.append(
                f"used sheet '{name}' (the {_ordinal(index + 1)} sheet): the other sheet"
                f"{'s' if len(others) > 1 else ''} {_quote_list(others)} "
                f"{'have' if len(others) > 1 else 'has'} no return header"
            )
        ws = wb.worksheets[index]
        cells_reader = _XlsxCells()
        records: list[tuple[int, list[str]]] = []
        header: list[str] | None = None
        columns: list[str | None] = []
        for offset, row in enumerate(ws.iter_rows(min_row=header_row)):
            row_number = header_row + offset  # read-only mode yields gap rows too, so this is the sheet row
            if header is None:
                header = ["" if c.value is None else str(c.value) for c in row]
                columns = [c if c in COLUMNS else None for c in map(canonical_header, header)]
                records.append((row_number, header))
                continue
            if row_number - header_row > MAX_ROWS:
                return (
                    None,
                    None,
                    None,
                    f"Sheet '{name}' has more than {MAX_ROWS:,} rows; a monthly return has about 60.",
                )
            records.append(
                (
                    row_number,
                    [
                        cells_reader.text(c, row_number, columns[i] if i < len(columns) else None)
                        for i, c in enumerate(row)
                    ],
                )
            )
        notes.extend(cells_reader.notes())
        percent_cells.update(cells_reader.percent_cells)
        return records, header, name, None
    except DAMAGED_WORKBOOK as exc:  # a read-only workbook is read lazily: damage shows while reading
        return None, None, None, _damaged_workbook(exc)
    finally:
        wb.close()


def _damaged_workbook(exc: Exception) -> str:
    return (
        f"The file looks like an Excel workbook (.xlsx) but could not be opened "
        f"({type(exc).__name__}: {exc}). Open it in Excel, save it again as "
        f"'Excel Workbook (.xlsx)' or 'CSV UTF-8 (comma delimited)', and upload that."
    )


# --- shared: records -> frame -----------------------------------------------------------


def _build(records: list[tuple[int, list[str]]], notes: list[str], parsed: ParsedReturn) -> None:
    import pandas as pd

    # Header: the first non-blank record (for XLSX that is the first record).
    start = next((i for i, (_, cells) in enumerate(records) if not _blank(cells)), None)
    if start is None:
        parsed.readable = _fail_readable("The file is empty: it has no header row and no data rows.")
        return
    header_row, header = records[start]
    if not is_return_header(header):
        later = next((rn for rn, cells in records[start + 1 : start + 20] if is_return_header(cells)), None)
        found = ", ".join(c for c in header if str(c).strip())[:120]
        hint = (
            f" The header is on row {later}: delete the rows above it so the header is row 1."
            if later
            else " Use the published template, whose first row is the header."
        )
        parsed.readable = _fail_readable(
            f"The first row of the file should be the header ({', '.join(COLUMNS)}) but it is '{found}'.{hint}"
        )
        return
    if start > 0:
        notes.append(
            f"ignored {start} blank row{'s' if start > 1 else ''} above the header (the header is row {header_row})"
        )
    parsed.header = [str(c) for c in header]

    # Columns: map header cells to contract columns.
    canon = [canonical_header(c) for c in header]
    positions: dict[str, list[int]] = {}
    for i, c in enumerate(canon):
        if c in COLUMNS:
            positions.setdefault(c, []).append(i)
    renamed = [(header[i], c) for c, idx in positions.items() for i in idx if str(header[i]) != c]
    if renamed:
        notes.append(
            "read the header "
            + ", ".join(f"'{h}' as {c}" for h, c in renamed[:8])
            + (f" and {len(renamed) - 8} more" if len(renamed) > 8 else "")
        )
    column_failures: list[FailingRow] = []
    problems: list[str] = []
    duplicated = {c: idx for c, idx in positions.items() if len(idx) > 1}
    for c, idx in duplicated.items():
        problems.append(f"column {c} appears {len(idx)} times (columns {', '.join(column_letter(i) for i in idx)})")
        column_failures.append(
            FailingRow(
                header_row,
                None,
                found=f"{c} in columns {', '.join(column_letter(i) for i in idx)}",
                accepted=f"one column named {c}",
                column=c,
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        problems.append(f"the header has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}")
        for c in missing:
            column_failures.append(
                FailingRow(header_row, None, found="(no such column)", accepted=f"a column headed {c}", column=c)
            )
    absent_optional = [c for c in COLUMNS if c not in positions and c not in REQUIRED_COLUMNS]
    if absent_optional:
        notes.append(
            f"the file has no {', '.join(absent_optional)} column{'s' if len(absent_optional) > 1 else ''}: read "
            f"{'them' if len(absent_optional) > 1 else 'it'} as blank"
        )
    width = len(header)

    # Data rows: drop blank rows (and say where), keep spreadsheet row numbers.
    data = records[start + 1 :]
    last_content = max((i for i, (_, cells) in enumerate(data) if not _blank(cells)), default=-1)
    trailing = len(data) - 1 - last_content
    inner_blank = [rn for rn, cells in data[: last_content + 1] if _blank(cells)]
    body = [(rn, cells) for rn, cells in data[: last_content + 1] if not _blank(cells)]

    extra_with_data = {
        i: [rn for rn, cells in body if i < len(cells) and str(cells[i]).strip()]
        for i in range(width)
        if canon[i] not in COLUMNS
    }
    ignored = []
    for i, rows in extra_with_data.items():
        label = f"'{header[i]}'" if str(header[i]).strip() else "with no header"
        if str(header[i]).strip() or rows:
            ignored.append(f"column {column_letter(i)} {label}" + (f" ({len(rows)} filled cells)" if rows else ""))
    if ignored:
        notes.append(
            "ignored "
            + ", ".join(ignored)
            + ", which "
            + ("are" if len(ignored) > 1 else "is")
            + " not part of the return"
        )

    rows_out = []
    overflow: list[FailingRow] = []
    # A row longer than the header means a comma inside an unquoted cell shifted the
    # cells after it, unless every row carries the same empty extra cells (trailing commas).
    usual_length = Counter(len(cells) for _, cells in body).most_common(1)[0][0] if body else width
    for rn, cells in body:
        beyond = [c for c in cells[width:] if str(c).strip()]
        if beyond or (len(cells) > width and len(cells) != usual_length):
            overflow.append(
                FailingRow(
                    rn,
                    None,
                    found=f"{len(cells)} cells"
                    + (f" (extra: {', '.join(repr(str(c)) for c in beyond[:3])})" if beyond else ""),
                    accepted=f"at most {width} cells, one per header column; a comma inside a number or note needs the "
                    f"cell in double quotes (Excel adds them when it saves as CSV)",
                    column=None,
                )
            )
            continue
        cells = list(cells[:width]) + [""] * (width - len(cells))
        rec = {c: str(cells[idx[0]]) for c, idx in positions.items()}
        for c in absent_optional:
            rec[c] = ""
        rec["row_number"] = rn
        rows_out.append(rec)
    if trailing:
        notes.append(f"ignored {trailing} blank row{'s' if trailing > 1 else ''} at the end")
    if inner_blank:
        notes.append(f"ignored blank {_row_list(inner_blank)}")

    if not body:
        parsed.readable = _fail_readable(
            f"The file has a header row but no data rows: add one row per metric below the header (row {header_row})."
        )
        return
    if overflow:
        problems.append(
            f"{len(overflow)} row{'s have' if len(overflow) > 1 else ' has'} more cells than the header has columns"
        )
        column_failures.extend(overflow)

    frame = (
        pd.DataFrame(rows_out, columns=[*COLUMNS, "row_number"])
        if rows_out
        else pd.DataFrame({c: pd.Series([], dtype=str) for c in COLUMNS} | {"row_number": pd.Series([], dtype="int64")})
    )
    for c in COLUMNS:
        frame[c] = frame[c].astype(str)
    frame["row_number"] = frame["row_number"].astype("int64")
    parsed.frame = frame
    n = len(frame)
    parsed.readable = CheckOutcome(
        "readable",
        "fail",
        "pass",
        f"Read {n} data row{'s' if n != 1 else ''} from "
        + (
            f"sheet '{parsed.sheet_name}' of an Excel workbook."
            if parsed.file_format == "xlsx"
            else f"a CSV file ({parsed.encoding})."
        ),
    )
    if problems:
        parsed.columns = CheckOutcome(
            "columns",
            "fail",
            "fail",
            "The columns do not match the return template: " + "; ".join(problems) + ".",
            column_failures,
        )
    else:
        parsed.columns = CheckOutcome(
            "columns", "fail", "pass", f"All required columns are present ({', '.join(REQUIRED_COLUMNS)})."
        )


def parse_return(
    path: Path, media_type: str | None = None, original_name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedReturn:
    """Read a council return (CSV or XLSX) into text rows, without judging the values.

    Never raises for a bad file: the outcome is in `readable` (and `columns`). `media_type`
    and `original_name` (what the server or the uploader called the file) only shape the
    messages; the content decides the format.
    """
    path = Path(path)
    name = original_name or path.name
    size = path.stat().st_size
    parsed = ParsedReturn(source_name=name, size_bytes=size, readable=_fail_readable("not read yet"))
    notes = parsed.normalisations

    if size == 0:
        parsed.readable = _fail_readable(
            "The file is empty (0 bytes). Upload the return again: the file may not have been saved before it "
            "was sent, or the address served nothing."
        )
        return parsed
    if size > max_bytes:  # decided from the size alone: never read a runaway file
        parsed.readable = _fail_readable(
            f"The file is {size_words(size)}; a monthly return is normally under 100 KB; the limit is "
            f"{limit_words(max_bytes)}. Check that this is the return (one row per metric) and not an export of "
            f"a whole system."
        )
        return parsed

    with open(path, "rb") as f:
        data = f.read()
    head = data[:SNIFF_BYTES]

    if is_web_page(head, media_type):
        title = _html_title(head)
        parsed.readable = _fail_readable(
            "The address served a web page, not a return "
            + (f"(its title is '{title}')" if title else "(it has no title)")
            + ". This is usually a sign-in, error or 'page not found' page: check that the return's address is right "
            "and that the file can be downloaded without signing in."
        )
        return parsed
    if head.startswith(UTF16_BOMS):
        parsed.readable = _fail_readable(
            "The file is 'Unicode Text' (UTF-16), which Excel writes with tabs between columns, not a CSV file. "
            + SAVE_AS_CSV
            + "."
        )
        return parsed
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind = _zip_kind(data)
        if kind != "xlsx":
            parsed.readable = _fail_readable(f"The file is {kind}, not a return. {SAVE_AS_CSV}.")
            return parsed
        parsed.file_format = "xlsx"
        if not name.lower().endswith((".xlsx", ".xlsm")):
            notes.append(f"read '{name}' as an Excel workbook (.xlsx): that is what its content is")
        records, _header, sheet, error = _read_xlsx(data, notes, parsed.percent_cells)
        if error:
            parsed.readable = _fail_readable(error)
            return parsed
        parsed.sheet_name = sheet
        _build(records, notes, parsed)
        return parsed

    reason = _binary_reason(head)
    if reason:
        parsed.readable = _fail_readable(
            f"The file is not a CSV or Excel (.xlsx) return: it looks like {reason}. {SAVE_AS_CSV}."
        )
        return parsed

    parsed.file_format = "csv"
    text, encoding, error = _decode(data, notes)
    if error:
        parsed.readable = _fail_readable(error)
        return parsed
    parsed.encoding = encoding
    if name.lower().endswith((".xlsx", ".xls", ".xlsm")):
        notes.append(f"read '{name}' as CSV text: that is what its content is, whatever its name says")
    records, error = _read_csv(text, notes)
    if error:
        parsed.readable = _fail_readable(error)
        return parsed
    if encoding == "windows-1252":
        where = _first_non_ascii_row(records)
        example = f" ('{where[1]}' in row {where[0]})" if where else ""
        notes.append(f"read the file as Windows-1252 because it is not valid UTF-8{example}")
    _build(records, notes, parsed)
    return parsed
