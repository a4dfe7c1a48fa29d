"""GOV.UK statistical tables in their published spreadsheet form (ODS, XLSX or CSV).

These files have title and note rows above the header, a column order that changes
between releases and suppression markers ('[x]', '[c]', '..') in numeric columns. So:
- the header row is found by the header *names* the dataset configures (case, spacing
  and '[note 3]' markers ignored), never by position;
- a header that is not there fails loudly, naming the column and listing the headers
  found (a layout change must never load the wrong column quietly);
- only rows in scope are kept: the configured region's rows, rows whose code is one of
  ours, and labelled total rows ('Total England') mapped to their code.

ODS is read with the standard library (zip + XML), so no extra dependency is needed for
the format DEFRA publishes now; XLSX through openpyxl; CSV as UTF-8 (or CP1252).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from councilbench.public.datasets import SpreadsheetDataset

HEADER_SEARCH_ROWS = 40
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class LayoutError(ValueError):
    """The table is not laid out as the dataset's configuration expects."""


# --- reading cells --------------------------------------------------------------------


def detect_format(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(100)
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and z.read("mimetype").strip() == ODS_MIME:
                return "ods"
            if "xl/workbook.xml" in names:
                return "xlsx"
        raise LayoutError("the file is a zip archive but neither an ODS nor an XLSX spreadsheet")
    return "csv"


def read_rows(path: Path, sheet: str) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cell values) for every row of the sheet (CSV: the file)."""
    fmt = detect_format(path)
    if fmt == "xlsx":
        return _xlsx_rows(path, sheet)
    if fmt == "ods":
        return _ods_rows(path, sheet)
    return _csv_rows(path)


def _pick_sheet(names: list[str], wanted: str) -> str:
    for name in names:
        if name.strip().lower() == wanted.strip().lower():
            return name
    raise LayoutError(f"sheet '{wanted}' not found; sheets found: {', '.join(names)}")


def _xlsx_rows(path: Path, sheet: str) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    # A file object, not the path: landed files carry no extension, which openpyxl checks.
    with open(path, "rb") as f:
        wb = load_workbook(f, read_only=True, data_only=True)
        try:
            ws = wb[_pick_sheet(wb.sheetnames, sheet)]
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                yield number, list(row)
        finally:
            wb.close()


_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


def _ods_cell(cell) -> object:
    kind = cell.get(_q("office", "value-type"))
    if kind in ("float", "percentage", "currency"):
        return float(cell.get(_q("office", "value")))
    paragraphs = [_ods_text(p) for p in cell.iter(_q("text", "p"))]
    text = "\n".join(paragraphs)
    return text if text != "" else None


def _ods_text(element) -> str:
    """Text of a paragraph: <text:s text:c="n"/> is n spaces, <text:tab/> a tab."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _q("text", "s"):
            parts.append(" " * int(child.get(_q("text", "c"), "1")))
        elif child.tag == _q("text", "tab"):
            parts.append("\t")
        elif child.tag == _q("text", "line-break"):
            parts.append("\n")
        else:
            parts.append(_ods_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _ods_rows(path: Path, sheet: str) -> Iterator[tuple[int, list]]:
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("content.xml"))
    tables = {t.get(_q("table", "name")): t for t in root.iter(_q("table", "table"))}
    table = tables[_pick_sheet(list(tables), sheet)]
    number = 0
    for row in table.iter(_q("table", "table-row")):
        cells: list = []
        for cell in row:
            if cell.tag not in (_q("table", "table-cell"), _q("table", "covered-table-cell")):
                continue
            repeat = int(cell.get(_q("table", "number-columns-repeated"), "1"))
            value = _ods_cell(cell)
            # Trailing empty cells come as one cell repeated thousands of times.
            cells.extend([value] * (repeat if value is not None or repeat < 100 else 1))
        while cells and cells[-1] is None:
            cells.pop()
        repeat_rows = int(row.get(_q("table", "number-rows-repeated"), "1"))
        for _ in range(repeat_rows if cells else 1):
            number += 1
            yield number, list(cells)
        if not cells and repeat_rows > 1:
            number += repeat_rows - 1


def _csv_rows(path: Path) -> Iterator[tuple[int, list]]:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield number, [c if c != "" else None for c in row]


# --- finding the table ----------------------------------------------------------------

_NOTE_RE = re.compile(r"\[\s*note\s*\d+\s*\]", re.IGNORECASE)


def normalise(text) -> str:
    if text is None:
        return ""
    text = _NOTE_RE.sub(" ", str(text))
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class Layout:
    header_row: int
    headers: list[str]
    columns: dict[str, int]  # role -> column index (period, region, area_code, area_name)
    measures: dict[str, int]  # metric id -> column index


def find_layout(ds: SpreadsheetDataset, rows: list[tuple[int, list]]) -> Layout:
    """Locate the header row by the configured names; fail naming what is missing."""
    wanted: dict[str, tuple[str, ...]] = {**ds.columns, **{f"measure:{m.metric_id}": m.headers for m in ds.measures}}
    best: tuple[int, int, list] | None = None  # (matches, row number, cells)
    for number, cells in rows[:HEADER_SEARCH_ROWS]:
        names = [normalise(c) for c in cells]
        found = sum(1 for alternatives in wanted.values() if any(normalise(a) in names for a in alternatives))
        if found == len(wanted):
            cols, measures = {}, {}
            for role, alternatives in wanted.items():
                index = next(names.index(normalise(a)) for a in alternatives if normalise(a) in names)
                if role.startswith("measure:"):
                    measures[role.split(":", 1)[1]] = index
                else:
                    cols[role] = index
            return Layout(number, [str(c) if c is not None else "" for c in cells], cols, measures)
        if found and (best is None or found > best[0]):
            best = (found, number, cells)
    if best is None:
        first = rows[0][1] if rows else []
        raise LayoutError(
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows of sheet '{ds.sheet}': none of the columns "
            + ", ".join(f"'{alts[0]}'" for alts in wanted.values())
            + (f" appear (first row: {', '.join(str(c) for c in first if c is not None)})" if first else "")
        )
    _, number, cells = best
    names = [normalise(c) for c in cells]
    missing = [alts for alts in wanted.values() if not any(normalise(a) in names for a in alts)]
    what = "; ".join(
        f"column '{alts[0]}' not found" + (f" (nor {', '.join(repr(a) for a in alts[1:])})" if len(alts) > 1 else "")
        for alts in missing
    )
    found_headers = ", ".join(str(c) for c in cells if c not in (None, ""))
    raise LayoutError(f"{what}; headers found in row {number}: {found_headers}")


# --- observations ---------------------------------------------------------------------


def _period(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().replace("/", "-")


def _value(cell, scale: float, markers: set[str]) -> tuple[str, float | None, str | None]:
    """(text as written, numeric value scaled, suppression marker)."""
    if cell is None:
        return "", None, None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return repr(cell), round(float(cell) * scale, 8), None
    text = str(cell).strip()
    if text in markers:
        return text, None, text
    try:
        return text, round(float(text.replace(",", "")) * scale, 8), None
    except ValueError:
        return text, None, None


def read_observations(ds: SpreadsheetDataset, path: Path, known: dict[str, str]) -> tuple[list[dict], dict]:
    """The in-scope rows of the table as observation dicts, and what was left out.

    Raises LayoutError when the sheet or a configured header is not there.
    """
    rows = list(read_rows(path, ds.sheet))
    layout = find_layout(ds, rows)
    region_wanted = normalise(ds.scope_region)
    labels = {normalise(k): v for k, v in ds.label_areas.items()}
    markers = set(ds.suppression_markers)
    c = layout.columns
    out: list[dict] = []
    skipped = 0
    for number, cells in rows:
        if number <= layout.header_row:
            continue
        cells = list(cells) + [None] * (len(layout.headers) - len(cells))
        code = str(cells[c["area_code"]] or "").strip()
        name = str(cells[c["area_name"]] or "").strip()
        region = normalise(cells[c["region"]])
        label_code = labels.get(region) or labels.get(normalise(name))
        if not (region == region_wanted or code in known or label_code):
            skipped += 1
            continue
        if not code and label_code:
            code = label_code
            name = name or known.get(code, "")
        period = _period(cells[c["period"]])
        for measure in ds.measures:
            raw, value, marker = _value(cells[layout.measures[measure.metric_id]], measure.scale, markers)
            out.append(
                {
                    "row_number": number,
                    "area_code": code,
                    "area_name": name or (str(cells[c["region"]] or "").strip()),
                    "period": period,
                    "measure": measure.metric_id,
                    "raw_value": raw,
                    "value": value,
                    "obs_status": marker,
                    "obs_status_name": "suppressed or not available" if marker else None,
                }
            )
    info = {"header_row": layout.header_row, "rows_out_of_scope": skipped, "headers": [h for h in layout.headers if h]}
    return out, info
