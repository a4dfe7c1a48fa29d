"""Published statistical tables in their spreadsheet form: GOV.UK and ONS workbooks (ODS
or XLSX), a CSV, or a zip of CSVs (ONS Standard Area Measurements).

These files have title and note rows above the header, a column order and tab names that
change between releases and suppression markers ('[x]', '[c]', '..') in numeric columns. So:
- a table is found by what it says, never by position: a sheet by its name or by the
  title above its header, a zip member by a pattern over its file name;
- the header row is found by the header *names* the dataset configures (case, spacing
  and '[note 3]' markers ignored; 're:' alternatives are patterns, for names carrying a
  year such as LAD24CD), never by position; a wide table's years are its columns whose
  header looks like a year;
- a table, sheet or header that is not there fails loudly, naming what is missing and
  what was found (a layout change must never load the wrong column quietly);
- only rows in scope are kept: the configured region's rows, rows whose code is one of
  ours, and labelled total rows ('Total England') mapped to their code (DEFRA); for the
  other tables, the rows of the expected areas, after the dataset's code map (an ITL3
  code standing for a county council).

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

from councilbench.public import datasets as dsets
from councilbench.public.datasets import MeasureColumn, Member, SpreadsheetDataset

HEADER_SEARCH_ROWS = 40
TITLE_SEARCH_ROWS = 10  # a table's title is in its first rows, above the header
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class LayoutError(ValueError):
    """The table is not laid out as the dataset's configuration expects."""


# --- reading cells --------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """'ods', 'xlsx', 'zip' (of CSV files) or 'csv', by the file's content."""
    with open(path, "rb") as f:
        head = f.read(100)
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and z.read("mimetype").strip() == ODS_MIME:
                return "ods"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if any(n.lower().endswith(".csv") for n in names):
                return "zip"
        raise LayoutError("the file is a zip archive but neither an ODS nor an XLSX spreadsheet nor a zip of CSV files")
    return "csv"


class Book:
    """The tables of one published file, read on demand: a workbook's sheets, the CSV
    members of a zip, or a CSV file (one table, whatever it is asked for by)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.format = detect_format(self.path)
        self._workbook = None
        self._ods_tables: dict | None = None
        self._read: dict[tuple[str, int | None], list] = {}  # (name, limit) -> rows: a sheet is parsed once

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc) -> None:
        if self._workbook is not None:
            self._workbook.close()

    @property
    def names(self) -> list[str]:
        if self.format == "xlsx":
            return list(self._xlsx().sheetnames)
        if self.format == "ods":
            return list(self._ods())
        if self.format == "zip":
            with zipfile.ZipFile(self.path) as z:
                return [n for n in z.namelist() if n.lower().endswith(".csv") and not n.endswith("/")]
        return [""]

    def pick(self, wanted: str) -> str:
        """A sheet by its name (case and surrounding spaces ignored)."""
        if self.format == "csv":
            return ""
        for name in self.names:
            if name.strip().lower() == wanted.strip().lower():
                return name
        raise LayoutError(f"sheet '{wanted}' not found; sheets found: {', '.join(self.names)}")

    def rows(self, name: str, limit: int | None = None) -> list[tuple[int, list]]:
        """(row number, cell values) of a table's rows, the first `limit` of them if given."""
        if (name, None) in self._read:
            return self._read[(name, None)][:limit]
        if (name, limit) not in self._read:
            self._read[(name, limit)] = self._parse(name, limit)
        return self._read[(name, limit)]

    def _parse(self, name: str, limit: int | None) -> list[tuple[int, list]]:
        if self.format == "xlsx":
            ws = self._xlsx()[name]
            return [(n, list(r)) for n, r in enumerate(ws.iter_rows(values_only=True, max_row=limit), start=1)]
        if self.format == "ods":
            rows = _ods_table_rows(self._ods()[name])
        elif self.format == "zip":
            with zipfile.ZipFile(self.path) as z:
                rows = _csv_rows(z.read(name))
        else:
            rows = _csv_rows(self.path.read_bytes())
        out = []
        for row in rows:
            if limit is not None and len(out) >= limit:
                break
            out.append(row)
        return out

    def _xlsx(self):
        if self._workbook is None:
            from openpyxl import load_workbook

            # Bytes, not the path: landed files carry no extension, which openpyxl checks.
            self._workbook = load_workbook(io.BytesIO(self.path.read_bytes()), read_only=True, data_only=True)
        return self._workbook

    def _ods(self) -> dict:
        if self._ods_tables is None:
            with zipfile.ZipFile(self.path) as z:
                root = ElementTree.fromstring(z.read("content.xml"))
            self._ods_tables = {t.get(_q("table", "name")): t for t in root.iter(_q("table", "table"))}
        return self._ods_tables


def read_rows(path: Path, sheet: str) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cell values) for every row of the sheet (CSV: the file)."""
    with Book(path) as book:
        return iter(book.rows(book.pick(sheet)))


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


def _ods_table_rows(table) -> Iterator[tuple[int, list]]:
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


def _csv_rows(raw: bytes) -> Iterator[tuple[int, list]]:
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
    if isinstance(text, float) and text.is_integer():
        text = int(text)  # a year header typed as a number: 2004.0 is "2004"
    text = _NOTE_RE.sub(" ", str(text))
    return re.sub(r"\s+", " ", text).strip().lower()


def _matches(alternative: str, name: str) -> bool:
    """A header name against one configured alternative ('re:' + a pattern, or a name)."""
    if alternative.startswith("re:"):
        return re.fullmatch(alternative[3:], name, re.IGNORECASE) is not None
    return normalise(alternative) == name


def _shown(alternative: str) -> str:
    return f"a name like /{alternative[3:]}/" if alternative.startswith("re:") else repr(alternative)


@dataclass
class Layout:
    header_row: int
    headers: list[str]
    columns: dict[str, int]  # role -> column index (period, region, area_code, area_name)
    measures: dict[str, int]  # metric id -> column index (a long table)
    years: dict[int, str]  # column index -> year (a wide table)


def find_layout(
    wanted: dict[str, tuple[str, ...]], rows: list[tuple[int, list]], where: str, year_pattern: str | None = None
) -> Layout:
    """Locate the header row by the configured names (and, for a wide table, its year
    columns); fail naming what is missing and the headers found."""
    best: tuple[int, int, list] | None = None  # (matches, row number, cells)
    needed = len(wanted) + (1 if year_pattern else 0)
    for number, cells in rows[:HEADER_SEARCH_ROWS]:
        names = [normalise(c) for c in cells]
        index = {role: _index(alternatives, names) for role, alternatives in wanted.items()}
        years = {i: n for i, n in enumerate(names) if year_pattern and re.match(year_pattern, n)}
        found = sum(1 for i in index.values() if i is not None) + (1 if years else 0)
        if found == needed:
            columns = {r: i for r, i in index.items() if not r.startswith("measure:")}
            measures = {r.split(":", 1)[1]: i for r, i in index.items() if r.startswith("measure:")}
            return Layout(number, [str(c) if c is not None else "" for c in cells], columns, measures, years)
        if found and (best is None or found > best[0]):
            best = (found, number, cells)
    if best is None:
        first = next((cells for _, cells in rows if any(c not in (None, "") for c in cells)), [])
        raise LayoutError(
            f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows: none of the columns "
            + ", ".join(_shown(alts[0]) for alts in wanted.values())
            + (" nor year columns" if year_pattern else "")
            + (f" appear (first row: {', '.join(str(c) for c in first if c is not None)})" if first else "")
        )
    _, number, cells = best
    names = [normalise(c) for c in cells]
    missing = [alts for alts in wanted.values() if _index(alts, names) is None]
    what = [
        f"column {_shown(alts[0])} not found"
        + (f" (nor {', '.join(_shown(a) for a in alts[1:])})" if len(alts) > 1 else "")
        for alts in missing
    ]
    if year_pattern and not any(re.match(year_pattern, n) for n in names):
        what.append("no year columns (a header such as 2023) found")
    found_headers = ", ".join(str(c) for c in cells if c not in (None, ""))
    raise LayoutError(f"{where}: {'; '.join(what)}; headers found in row {number}: {found_headers}")


def _index(alternatives: tuple[str, ...], names: list[str]) -> int | None:
    for alternative in alternatives:
        for i, name in enumerate(names):
            if name and _matches(alternative, name):
                return i
    return None


def find_titled(
    book: Book, titles: tuple[str, ...], wanted: dict, year_pattern: str | None
) -> tuple[str, list, Layout]:
    """The one sheet whose table carries one of the titles above its header: (sheet name,
    rows, layout). A contents page naming the title has no such header below it."""
    wanted_titles = [normalise(t) for t in titles]
    tabled, untabled = [], []
    for name in book.names:
        title_row = next(
            (
                n
                for n, cells in book.rows(name, TITLE_SEARCH_ROWS)
                if any(t in normalise(c) for c in cells for t in wanted_titles if c)
            ),
            None,
        )
        if title_row is None:
            continue
        top = book.rows(name, HEADER_SEARCH_ROWS)
        try:
            find_layout(wanted, [r for r in top if r[0] > title_row], f"sheet '{name}'", year_pattern)
            tabled.append((name, title_row))
        except LayoutError as exc:
            untabled.append(str(exc))
    nor = f" (nor {', '.join(repr(t) for t in titles[1:])})" if len(titles) > 1 else ""
    if len(tabled) > 1:
        raise LayoutError(
            f"more than one sheet holds a table titled {titles[0]!r}{nor}: "
            + ", ".join(f"'{n}'" for n, _ in tabled)
            + "; which one to read is no longer clear"
        )
    if not tabled:
        why = "; ".join(f"the title is there but {u}" for u in untabled) or "no sheet carries that title"
        raise LayoutError(f"no table titled {titles[0]!r}{nor}: {why}; sheets found: {_sheet_listing(book)}")
    name, title_row = tabled[0]
    rows = [r for r in book.rows(name) if r[0] > title_row]
    return name, rows, find_layout(wanted, rows, f"sheet '{name}'", year_pattern)


def _sheet_listing(book: Book) -> str:
    """Each sheet with the first text it shows (its title), to say what was found."""
    out = []
    for name in book.names:
        first = next((c for _, cells in book.rows(name, 5) for c in cells if isinstance(c, str) and c.strip()), "")
        out.append(f"'{name}'" + (f" ({first.strip()[:80]})" if first else ""))
    return ", ".join(out)


def find_member(book: Book, member: Member) -> str:
    """The one zip member whose file name matches the member's pattern."""
    if book.format != "zip":
        raise LayoutError(f"a zip of CSV files was expected, the file is {book.format.upper()}")
    found = [n for n in book.names if re.search(member.pattern, n, re.IGNORECASE)]
    if len(found) == 1:
        return found[0]
    listing = ", ".join(book.names) or "none"
    if not found:
        raise LayoutError(
            f"no CSV of {member.label} in the zip (a file name matching /{member.pattern}/); CSV files found: {listing}"
        )
    raise LayoutError(f"more than one CSV of {member.label} in the zip: {', '.join(found)}")


# --- the tables of a dataset ----------------------------------------------------------


@dataclass
class Table:
    where: str  # "sheet 'A3'", "'SAM_LAD_DEC_2024_UK.csv'"
    rows: list[tuple[int, list]]
    layout: Layout
    measures: tuple[MeasureColumn, ...]
    period: str  # every row's period ('' when a column or the year columns give it)


def _wanted(ds: SpreadsheetDataset, measures) -> dict[str, tuple[str, ...]]:
    columns = {role: alts for role, alts in ds.columns.items() if not (role == "period" and ds.period)}
    if ds.layout == "wide":
        return columns
    return {**columns, **{f"measure:{m.metric_id}": m.headers for m in measures}}


def tables(ds: SpreadsheetDataset, book: Book) -> Iterator[Table]:
    """Each table the dataset reads, located and with its header found."""
    years = ds.year_pattern if ds.layout == "wide" else None
    if ds.members:
        for member in ds.members:
            name = find_member(book, member)
            rows, where = book.rows(name), f"file '{name}'"
            m = re.search(ds.member_period_pattern, name.rsplit("/", 1)[-1], re.IGNORECASE)
            if not m:
                raise LayoutError(f"{where}: no period in the file name (pattern /{ds.member_period_pattern}/)")
            yield Table(where, rows, find_layout(_wanted(ds, ds.measures), rows, where, years), ds.measures, m.group(1))
        return
    groups: dict[tuple, list[MeasureColumn]] = {}
    for m in ds.measures:  # measures on the same sheet are one table
        groups.setdefault((m.sheet or ds.sheet, m.sheet_title or ds.sheet_title), []).append(m)
    for (sheet, titles), measures in groups.items():
        if ds.layout == "wide" and len(measures) != 1:
            raise ValueError(f"dataset {ds.dataset_id}: a wide table holds one measure, not {len(measures)}")
        wanted = _wanted(ds, measures)
        if titles:
            name, rows, layout = find_titled(book, titles, wanted, years)
        else:
            name = book.pick(sheet)
            rows = book.rows(name)
            layout = find_layout(wanted, rows, f"sheet '{name}'" if name else "the file", years)
        yield Table(f"sheet '{name}'", rows, layout, tuple(measures), ds.period)


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


def _text(cells: list, index: int | None) -> str:
    return str(cells[index] or "").strip() if index is not None else ""


def _area(ds: SpreadsheetDataset, code: str, name: str, region: str, known: dict[str, str]) -> tuple[str, str]:
    """(our area code, its name): the publisher's code mapped (code_map), else a labelled
    total row ('Total England', 'United Kingdom') when the code is empty or not ours."""
    labels = {normalise(k): v for k, v in ds.label_areas.items()}
    if code in ds.code_map:
        return ds.code_map[code], name or known.get(ds.code_map[code], "")
    label_code = labels.get(normalise(region)) or labels.get(normalise(name))
    if label_code and code not in known:
        return label_code, name or known.get(label_code, "")
    return code, name


def _table_observations(ds, table: Table, known: dict[str, str], expected: dict | None) -> tuple[list[dict], int]:
    c, layout = table.layout.columns, table.layout
    markers = set(ds.suppression_markers)
    region_wanted = normalise(ds.scope_region)
    out, skipped = [], 0
    for number, cells in table.rows:
        if number <= layout.header_row or not any(x not in (None, "") for x in cells):
            continue
        cells = list(cells) + [None] * (len(layout.headers) - len(cells))
        region = _text(cells, c.get("region"))
        code, name = _area(ds, _text(cells, c.get("area_code")), _text(cells, c.get("area_name")), region, known)
        # A region's table (DEFRA): its rows, ours and the labelled totals; else the expected areas.
        in_scope = (normalise(region) == region_wanted or code in known) if expected is None else code in expected
        if not in_scope:
            skipped += 1
            continue
        if ds.layout == "wide":
            (measure,) = table.measures
            cells_by_period = [(period, cells[i], measure) for i, period in layout.years.items()]
        else:
            period = table.period or _period(cells[c["period"]])
            cells_by_period = [(period, cells[layout.measures[m.metric_id]], m) for m in table.measures]
        for period, cell, measure in cells_by_period:
            raw, value, marker = _value(cell, measure.scale, markers)
            out.append(
                {
                    "row_number": number,
                    "table": table.where,
                    "area_code": code,
                    "area_name": name or region,
                    "period": period,
                    "measure": measure.metric_id,
                    "raw_value": raw,
                    "value": value,
                    "obs_status": marker,
                    "obs_status_name": "suppressed or not available" if marker else None,
                }
            )
    return out, skipped


def read_observations(ds: SpreadsheetDataset, path: Path, known: dict[str, str]) -> tuple[list[dict], dict]:
    """The in-scope rows of the dataset's tables as observation dicts, and what was left out.

    Raises LayoutError when a table, sheet, zip member or configured header is not there.
    """
    with Book(path) as book:
        found = list(tables(ds, book))
    expected = dsets.expected_areas(ds) if not ds.scope_region else None
    out: list[dict] = []
    skipped = 0
    for table in found:
        rows, left_out = _table_observations(ds, table, known, expected)
        out.extend(rows)
        skipped += left_out
    first = found[0].layout
    info = {
        "tables": [t.where for t in found],
        "header_row": first.header_row,
        "rows_out_of_scope": skipped,
        "headers": [h for h in first.headers if h],
    }
    return out, info
