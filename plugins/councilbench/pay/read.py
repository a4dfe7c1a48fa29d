"""A council's pay deposit (CSV or XLSX) -> one row per post in the deposit's columns.

Never raises for a bad file: what it finds are the first checks of the kind's verdict,
in this order:
- `readable`: empty, too big, a web page, a zip or other binary, no rows, a header and
  no posts;
- `personal_data` (personal.py): a column of names, dates of birth, employee or NI
  numbers rejects the file whole; the rows read are dropped on the spot, so nothing of
  the file is validated, recorded or loaded beyond the finding, which quotes no value;
- `columns`: the required columns found (the missing ones named, with the headers seen);
  headers are compared without case, spacing or punctuation, with a few synonyms
  (columns.py);
- `values`: cells that cannot be read as the number they must be, and blank required
  cells, each named by row and column. A '£' sign and thousands separators, an FTE as a
  percentage, 'SCP 12', '2025/26' and other unambiguous spellings are tidied and counted
  (the receipt lists them), never guessed at.

Whether the values make sense (salaries against the spine, FTE, headcount, roles, the
pay year and the council) is the validator's (checks.py), in one GX run per batch.
"""

from __future__ import annotations

import re
from pathlib import Path

from councilbench.ingest.checks import CheckOutcome
from councilbench.ingest.records import Records
from councilbench.pay import personal, values
from councilbench.pay.columns import (
    CANONICAL_COLUMNS,
    HEADER_SEARCH_ROWS,
    REQUIRED_COLUMNS,
    Mapping,
    examples,
    is_header,
    map_header,
)
from councilbench.pay.records import READER, WORDS
from councilbench.pay.result import FRAME_COLUMNS, PayRead, Tally
from councilbench.pay.words import column_letter, column_words, failing, plural, quote_list, row_list, shown

#: Far more than any council's posts (a county's few thousand rows are under 1 MB).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
HOW_TO_FIX_COLUMNS = (
    "Start from the template (pay_template.csv): its first row names every column; capitals, spaces and the "
    "order of the columns do not matter"
)
#: How each column's cells are read.
READERS = {
    "pay_year": values.pay_year,
    "scp_min": values.whole,
    "scp_max": values.whole,
    "fte_salary": values.money,
    "fte": values.fte,
    "headcount": values.whole,
    "allowances": values.money,
    "market_supplement": values.money,
    "contract_type": values.contract_type,
}
TEXT_COLUMNS = tuple(c for c in CANONICAL_COLUMNS if c not in READERS)
ACCEPTED = {
    "fte_salary": "the post's annual full-time salary in pounds, such as 24413 or £24,413.00",
    "allowances": "pounds a year, such as 1200, or blank",
    "market_supplement": "pounds a year, such as 3000, or blank",
    "fte": "a fraction of full time above 0 and at most 1, such as 0.6 (or 60%)",
    "headcount": "a whole number of people in the post, 1 or more",
    "scp_min": "a spinal column point, a whole number such as 12, or blank for a post off the NJC spine",
    "scp_max": "a spinal column point, a whole number such as 17, or blank for a post off the NJC spine",
}
_TOTAL = re.compile(r"^(grand |sub ?)?totals?:?$", re.IGNORECASE)


def read_pay(
    path: Path,
    *,
    pay_year: str | None = None,
    original_name: str | None = None,
    media_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PayRead:
    """Read one deposit. `pay_year` (the deposit's) dates the personal-data check's
    window for dates of birth; `original_name` and `media_type` (what the server called
    the file) only shape messages: the content decides the format."""
    path = Path(path)
    name = original_name or path.name
    size = path.stat().st_size
    result = PayRead(source_name=name, size_bytes=size)
    records = result.read_records(READER, path, media_type, max_bytes)
    if records is not None:
        _FileReader(records, result, pay_year).read()
    return result


class _FileReader:
    """Rows of cells -> the result's findings, frame and tidy-ups."""

    def __init__(self, records: Records, result: PayRead, pay_year: str | None) -> None:
        self.records = records
        self.result = result
        self.pay_year = pay_year
        self.notes: list[str] = list(records.notes)

    def read(self) -> None:
        result = self.result
        rows = [(rn, cells) for rn, cells in self.records.rows if not _blank(cells)]
        if not rows:
            result.fail_unreadable(f"The file has no rows at all, only blank lines. {WORDS.send_again}.")
            return
        header_at = next((i for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]) if is_header(cells)), None)
        if header_at is None:
            self.no_header(rows)
            return
        header_row, header = rows[header_at]
        result.header_row, result.header = header_row, [values.text(c) for c in header]
        mapping = map_header(header)
        if header_at:
            self.notes.append(f"found the header on row {header_row}, below {plural(header_at, 'title row')}")
        posts = self.drop_totals(rows[header_at + 1 :], mapping)
        found = personal.find(header, posts, set(mapping.columns.values()), self.pay_year)
        columns = self.columns_finding(mapping, header_row)
        if found:
            result.personal_data = True
            result.findings = [
                CheckOutcome("readable", "fail", "pass", f"Read the header on row {header_row}."),
                personal.check(found, header_row),
                *([columns] if not columns.passed else []),
            ]
            return  # nothing of the file goes further: no rows, no tidy-ups
        if not columns.passed:
            result.findings = [
                CheckOutcome("readable", "fail", "pass", f"Read the header on row {header_row}."),
                personal.check([], header_row),
                columns,
            ]
            return
        if not posts:
            result.fail_unreadable(
                f"The file has a header (row {header_row}) but no posts below it. Deposit the file with one row per "
                f"post."
            )
            return
        self.build(posts, mapping, header_row, columns)

    def no_header(self, rows: list[tuple[int, list]]) -> None:
        found = personal.find([], rows, set(), self.pay_year)
        readable = CheckOutcome("readable", "fail", "pass", "The file is a table of text, but no pay header was found.")
        if found:
            self.result.personal_data = True
            self.result.findings = [readable, personal.check(found, rows[0][0])]
            return
        row, cells = rows[0]
        seen = [values.text(c) for c in cells if values.text(c)]
        accepted = "; ".join(f"for {column_words(c)}: {quote_list(examples(c))}" for c in REQUIRED_COLUMNS[:4])
        self.result.findings = [
            readable,
            failing(
                "columns",
                f"No row among the first {HEADER_SEARCH_ROWS} names at least three of the deposit's columns, so the "
                f"header cannot be found. The first row with anything in it (row {row}) reads "
                f"{quote_list(seen) if seen else 'nothing'}. Headers accepted include, {accepted}. {HOW_TO_FIX_COLUMNS}.",
                [{"row": row, "column": None, "found": ", ".join(seen)[:200], "accepted": "a header row"}],
            ),
        ]

    def drop_totals(self, posts: list[tuple[int, list]], mapping: Mapping) -> list[tuple[int, list]]:
        """Blank rows out; trailing totals rows (no post id, and a cell saying 'Total' or no
        job title either) out, and said."""
        posts = [(rn, cells) for rn, cells in posts if not _blank(cells)]
        totals = []
        while posts and _is_total(posts[-1][1], mapping):
            totals.insert(0, posts.pop()[0])
        if totals:
            self.notes.append(f"dropped {plural(len(totals), 'totals row')} at the end ({row_list(totals)})")
        return posts

    def columns_finding(self, mapping: Mapping, header_row: int) -> CheckOutcome:
        header = self.result.header
        problems, rows = [], []
        for name, idx in mapping.conflicts.items():
            problems.append(
                f"columns {quote_list([header[i] for i in idx])} ({', '.join(column_letter(i) for i in idx)}) all "
                f"read as {column_words(name)}, so it is not clear which one to use"
            )
            rows.append({"row": header_row, "column": name, "found": ", ".join(header[i] for i in idx),
                         "accepted": f"one column for the {column_words(name)}"})  # fmt: skip
        for name in mapping.missing_required:
            problems.append(f"there is no {column_words(name)} column (accepted: {quote_list(examples(name))})")
            rows.append({"row": header_row, "column": name, "found": "(no such column)",
                         "accepted": f"a column for the {column_words(name)}"})  # fmt: skip
        if problems:
            return failing(
                "columns",
                f"The posts cannot be read: {'; '.join(problems)}. Headers seen on row {header_row}: "
                f"{quote_list([h for h in header if h], 30)}. {HOW_TO_FIX_COLUMNS}.",
                rows,
            )
        self.result.columns = {c: header[i] for c, i in mapping.columns.items()}
        if mapping.unknown:
            listed = ", ".join(f"'{header[i]}' ({column_letter(i)})" for i in mapping.unknown)
            self.notes.append(f"ignored {plural(len(mapping.unknown), 'column')} the deposit does not use: {listed}")
        if mapping.absent:
            self.notes.append(f"the file has no {', '.join(map(column_words, mapping.absent))} column: read as blank")
        found = ", ".join(f"{column_words(c)} '{h}'" for c, h in self.result.columns.items())
        return CheckOutcome("columns", "fail", "pass", f"Found the columns: {found}.")

    def build(self, posts: list[tuple[int, list]], mapping: Mapping, header_row: int, columns: CheckOutcome) -> None:
        import pandas as pd

        tally, problems = Tally(), []
        data: dict[str, list] = {c: [] for c in FRAME_COLUMNS}
        for rn, cells in posts:
            data["row_number"].append(rn)
            for column in CANONICAL_COLUMNS:
                cell = _cell(cells, mapping.columns.get(column))
                if column in TEXT_COLUMNS:
                    data[column].append(values.text(cell))
                    if column in REQUIRED_COLUMNS and not values.text(cell):
                        problems.append((rn, column, "is blank"))
                    continue
                read = READERS[column](cell)
                tally.add(read.habits, rn)
                data[column].append(read.value)
                if read.problem:
                    problems.append((rn, column, read.problem))
                elif read.blank and column in REQUIRED_COLUMNS:
                    problems.append((rn, column, "is blank"))
        # object columns: whole numbers stay ints beside blanks (None), pounds stay Decimals
        frame = pd.DataFrame({c: pd.Series(data[c], dtype=object) for c in FRAME_COLUMNS}, columns=list(FRAME_COLUMNS))
        frame["row_number"] = frame["row_number"].astype("int64")
        for column in ("pay_year", "contract_type"):
            frame[column] = frame[column].map(lambda v: "" if v is None else v)
        self.result.frame = frame
        self.result.normalisations = self.notes + tally.words()
        where = (
            f"sheet '{self.result.sheet_name}' of an Excel workbook"
            if self.result.file_format == "xlsx"
            else f"a CSV file ({self.result.encoding})"
        )
        self.result.findings = [
            CheckOutcome("readable", "fail", "pass", f"Read {plural(len(frame), 'post')} from {where}."),
            personal.check([], header_row),
            columns,
            _values_finding(problems, self.result.columns),
        ]


def _values_finding(problems: list[tuple[int, str, str]], headers: dict[str, str]) -> CheckOutcome:
    if not problems:
        return CheckOutcome("values", "fail", "pass", "Every cell reads as what its column holds.")
    described = [f"row {rn} {column_words(c)} {words}" for rn, c, words in problems]
    columns = sorted({c for _, c, _ in problems}, key=CANONICAL_COLUMNS.index)
    accepted = "; ".join(f"{column_words(c)}: {ACCEPTED.get(c, 'a value on every row')}" for c in columns)
    message = (
        f"{plural(len(problems), 'cell')} cannot be read as {'its column' if len(problems) == 1 else 'their columns'} "
        f"need{'s' if len(problems) == 1 else ''}: {shown(described)}. Accepted: {accepted}. Correct "
        f"{'it' if len(problems) == 1 else 'them'} and deposit the file again."
    )
    rows = [
        {"row": rn, "column": headers.get(c, c), "found": words, "accepted": ACCEPTED.get(c, "a value")}
        for rn, c, words in problems
    ]
    return failing("values", message, rows)


def _blank(cells: list) -> bool:
    return all(values.is_blank(c) for c in cells)


def _cell(cells: list, index: int | None):
    return cells[index] if index is not None and index < len(cells) else None


def _is_total(cells: list, mapping: Mapping) -> bool:
    if "post_id" not in mapping.columns or not values.is_blank(_cell(cells, mapping.columns["post_id"])):
        return False
    says_total = any(_TOTAL.match(values.text(c)) for c in cells if isinstance(c, str))
    return says_total or values.is_blank(_cell(cells, mapping.columns.get("job_title")))
