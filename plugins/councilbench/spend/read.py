"""A council's "spend over £500" file (CSV or XLSX) -> canonical payment lines.

Councils publish the Local Government Transparency Code 2015 fields each in their own
layout and with their own habits. This reader normalises what is unambiguous and says
so, counted, in plain words (SpendRead.normalisations); what cannot be read without a
guess is a finding with the row, what was wrong, what is accepted and how to fix it. It
never raises for a bad file: the lifecycle's source kind wraps the result (its findings
are the kind's checks, `readable` first).

Decisions (why, not what):
- The header row is found by its names (the synonym seed), not its position: counties
  put a title block above it.
- Trailing totals rows are dropped, counted and named: a total loaded as a line would
  double the period's spend. Only at the end: a 'Total' in the middle is not guessed at.
- Net and gross both present: net is read, as the Code asks for amounts excluding
  recoverable VAT. Gross alone is not taken for net: that would overstate spend by VAT.
- A redacted beneficiary keeps its line and amount (it is real spend) with the supplier
  emptied and the line flagged, so it is never matched to a supplier.
- Lines sharing a transaction number stay separate lines: an invoice split across
  expense codes is several real lines, and the validator decides about duplicates.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from councilbench.ingest.checks import CheckOutcome
from councilbench.ingest.records import Records
from councilbench.ingest.words import column_letter, failing, quote_list, row_list
from councilbench.spend import values
from councilbench.spend.headers import CANONICAL_FIELDS, REQUIRED_FIELDS, HeaderMap, Mapping, header_key, header_map
from councilbench.spend.lines import Lines
from councilbench.spend.records import HEADER_SEARCH_ROWS, WORDS, table_reader
from councilbench.spend.result import FRAME_COLUMNS, Normalisation, SpendRead, Tally, field_words, plural

#: Bigger than any council's monthly or quarterly spend file, smaller than a ledger dump.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
HOW_TO_FIX_COLUMNS = (
    "Rename the columns to the Transparency Code's names (for example 'Payment Date', 'Supplier Name', "
    "'Net Amount'), or ask the platform team to add the council's own header to spend_header_overrides.csv"
)


def read_spend(
    path: Path,
    *,
    council_code: str | None = None,
    headers: HeaderMap | None = None,
    original_name: str | None = None,
    media_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SpendRead:
    """Read one spend file. `council_code` chooses the council's header overrides;
    `headers` replaces the seeds (tests); `original_name` and `media_type` (what the
    server called it) only shape messages: the content decides the format."""
    path = Path(path)
    name = original_name or path.name
    size = path.stat().st_size
    result = SpendRead(source_name=name, size_bytes=size, council_code=council_code)
    headers = headers or header_map(council_code)
    records = result.read_records(table_reader(headers), path, media_type, max_bytes)
    if records is not None:
        _FileReader(records, headers, result).read()
    return result


class _FileReader:
    """Rows of cells -> the result's frame, findings and normalisations."""

    def __init__(self, records: Records, headers: HeaderMap, result: SpendRead) -> None:
        self.records = records
        self.headers = headers
        self.result = result
        self.notes: list[Normalisation] = [Normalisation("file", 1, n) for n in records.notes]
        self.tally = Tally()

    def note(self, kind: str, words: str, count: int = 1, rows: list[int] | tuple = ()) -> None:
        self.notes.append(Normalisation(kind, count, words, tuple(rows)[:10]))

    def read(self) -> None:
        result = self.result
        rows = [(rn, cells) for rn, cells in self.records.rows if not _blank(cells)]
        if not rows:
            result.fail_unreadable(f"The file has no rows at all, only blank lines. {WORDS.send_again}.")
            return
        header_at = next(
            (i for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]) if self.headers.is_header(cells)), None
        )
        if header_at is None:
            self.no_header(rows[0])
            return
        header_row, header = rows[header_at]
        result.header_row = header_row
        result.header = [values.read_text(c) for c in header]
        if header_at:
            titles = [
                " ".join(values.read_text(c) for c in cells if values.read_text(c)) for _, cells in rows[:header_at]
            ]
            self.note(
                "title_rows",
                f"found the header on row {header_row}, below {plural(header_at, 'title row')} "
                f"({quote_list([t[:60] for t in titles], 3)})",
                header_at,
                [rn for rn, _ in rows[:header_at]],
            )
        mapping = self.headers.map(header)
        if not self.map_columns(mapping, header_row):
            return
        last = rows[-1][0]  # blank rows after the last one with content are not worth a word
        blank = [rn for rn, cells in self.records.rows if header_row < rn < last and _blank(cells)]
        if blank:
            self.note("blank_rows", f"ignored {plural(len(blank), 'blank row')} ({row_list(blank)})", len(blank), blank)
        lines = self.data_rows(rows[header_at + 1 :], header, mapping)
        if not lines:
            result.fail_unreadable(
                f"The file has a header (row {header_row}) but no payment lines below it. Publish the file with one "
                f"row per payment, or confirm with the platform team that the council paid nothing over £500 in "
                f"the period."
            )
            return
        self.build(lines, mapping)

    # --- header and columns -----------------------------------------------------------

    def no_header(self, first: tuple[int, list]) -> None:
        row, cells = first
        seen = [values.read_text(c) for c in cells if values.read_text(c)]
        accepted = "; ".join(
            f"for the {field_words(f)}: " + quote_list(self.headers.examples(f), 4) for f in REQUIRED_FIELDS
        )
        self.result.findings = [
            CheckOutcome("readable", "fail", "pass", "The file is a table of text, but no spend header was found."),
            failing(
                "columns",
                f"No row among the first {HEADER_SEARCH_ROWS} names at least three spend columns, so the header "
                f"cannot be found. The first row with anything in it (row {row}) reads {quote_list(seen) if seen else 'nothing'}. "
                f"Headers accepted include, {accepted}. {HOW_TO_FIX_COLUMNS}.",
                [
                    {
                        "row": row,
                        "column": None,
                        "found": ", ".join(seen)[:200],
                        "accepted": "a header row naming the spend columns",
                    }
                ],
            ),
        ]

    def map_columns(self, mapping: Mapping, header_row: int) -> bool:
        """Record the mapping; a failing `columns` finding (and False) when the lines cannot be read."""
        header = self.result.header
        problems, rows = [], []
        for name, idx in mapping.conflicts.items():
            problems.append(
                f"columns {quote_list([f'{header[i]}' for i in idx])} ({', '.join(column_letter(i) for i in idx)}) "
                f"all read as the {field_words(name)}, so it is not clear which one to use"
            )
            rows.append(
                {
                    "row": header_row,
                    "column": name,
                    "found": ", ".join(header[i] for i in idx),
                    "accepted": f"one {field_words(name)} column",
                }
            )
        missing = mapping.missing_required
        for name in missing:
            gross = mapping.columns.get("gross_amount")
            if name == "net_amount" and gross is not None:
                problems.append(
                    f"the only amount is the gross amount '{header[gross]}' (column {column_letter(gross)}); the Code asks for "
                    f"amounts excluding recoverable VAT, and gross is never read as net (it would overstate spend by "
                    f"the VAT)"
                )
            else:
                problems.append(
                    f"there is no {field_words(name)} column (accepted: {quote_list(self.headers.examples(name), 4)})"
                )
            rows.append(
                {
                    "row": header_row,
                    "column": name,
                    "found": "(no such column)",
                    "accepted": f"a {field_words(name)} column",
                }
            )
        if problems:
            self.result.findings = [
                CheckOutcome("readable", "fail", "pass", f"Read the header on row {header_row}."),
                failing(
                    "columns",
                    f"The spend lines cannot be read: {'; '.join(problems)}. Headers seen on row {header_row}: "
                    f"{quote_list([h for h in header if h], 30)}. {HOW_TO_FIX_COLUMNS}.",
                    rows,
                ),
            ]
            return False
        self.result.columns = {f: header[mapping.index(f)] for f in CANONICAL_FIELDS if mapping.index(f) is not None}
        self.column_notes(mapping)
        return True

    def column_notes(self, mapping: Mapping) -> None:
        header = self.result.header
        for i in mapping.overridden:
            name = next((f for f, j in mapping.columns.items() if j == i), "ignore")
            self.note("override", f"read '{header[i]}' as {field_words(name)}, as the council's override says")
        for name, helper in mapping.fallbacks.items():
            self.note(
                "fallback",
                f"read '{header[mapping.columns[helper]]}' as the {field_words(name)}, as the file has no "
                f"{field_words(name)} column of its own",
            )
        if "gross_amount" in mapping.columns:
            self.note(
                "net_and_gross",
                f"the file has a net amount ('{header[mapping.columns['net_amount']]}') and a gross amount "
                f"('{header[mapping.columns['gross_amount']]}'): read the net amount, as the Transparency Code asks "
                f"for amounts excluding recoverable VAT",
            )
        mangled = [header[i] for i in mapping.columns.values() if any(s in header[i] for s in ("Â", "\\xa3", "Ã"))]
        if mangled:
            self.note("header_pound", f"read {quote_list(mangled)} with its mangled '£' as the amount column")
        unknown = [f"'{header[i]}' ({column_letter(i)})" for i in mapping.unknown + mapping.ignored]
        if unknown:
            self.note(
                "ignored_columns", "ignored columns that are not spend fields: " + ", ".join(unknown), len(unknown)
            )
        absent = [f for f in CANONICAL_FIELDS if mapping.index(f) is None]
        if absent:
            self.note(
                "absent_fields",
                f"the file has no {', '.join(map(field_words, absent))} column: read as blank",
                len(absent),
            )

    # --- rows -------------------------------------------------------------------------

    def data_rows(self, rows: list[tuple[int, list]], header: list, mapping: Mapping) -> list[tuple[int, list]]:
        """The payment lines: repeated headers and trailing totals rows taken out (and said)."""
        header_keys = [header_key(c) for c in header]
        amount_at = mapping.columns["net_amount"]  # a cheap first look, then the whole row
        repeated = [
            rn
            for rn, cells in rows
            if header_key(_cell(cells, amount_at)) == header_keys[amount_at]
            and [header_key(c) for c in cells[: len(header)]] == header_keys
        ]
        if repeated:
            self.note(
                "repeated_header",
                f"dropped {plural(len(repeated), 'repeated header row')} ({row_list(repeated)})",
                len(repeated),
                repeated,
            )
            rows = [(rn, cells) for rn, cells in rows if rn not in set(repeated)]
        totals = []
        while rows and _is_total(rows[-1][1], mapping):
            totals.insert(0, rows.pop())
        if totals:
            self.totals_note(totals, rows, mapping)
        return rows

    def totals_note(self, totals: list[tuple[int, list]], lines: list[tuple[int, list]], mapping: Mapping) -> None:
        amount_at = mapping.columns["net_amount"]
        lines_sum = sum(
            (a.value for a in (values.read_amount(_cell(c, amount_at)) for _, c in lines) if a.value is not None),
            Decimal(0),
        )
        described = []
        for rn, cells in totals:
            label = next(
                (values.read_text(c) for c in cells if values.read_text(c) and not values.read_amount(c).value), ""
            )
            amount = values.read_amount(_cell(cells, amount_at)).value
            described.append(
                f"row {rn}" + (f" '{label}'" if label else "") + (f" {amount:,.2f}" if amount is not None else "")
            )
        last = values.read_amount(_cell(totals[-1][1], amount_at)).value
        check = ""
        if last is not None:
            check = (
                "; it equals the sum of the lines" if last == lines_sum else f"; the lines add up to {lines_sum:,.2f}"
            )
        self.note(
            "totals_dropped",
            f"dropped {plural(len(totals), 'totals row')} at the end ({', '.join(described)}){check}",
            len(totals),
            [rn for rn, _ in totals],
        )

    def build(self, lines: list[tuple[int, list]], mapping: Mapping) -> None:
        import pandas as pd

        parsed = Lines(mapping, self.result.header, self.tally, lines)
        frame = pd.DataFrame({c: parsed.columns[c] for c in FRAME_COLUMNS}, columns=list(FRAME_COLUMNS))
        frame["row_number"] = frame["row_number"].astype("int64")
        frame["redacted"] = frame["redacted"].astype(bool)
        self.result.frame = frame
        self.result.dates_in_doubt = parsed.date_order is not None
        where = (
            f"sheet '{self.result.sheet_name}' of an Excel workbook"
            if self.result.file_format == "xlsx"
            else f"a CSV file ({self.result.encoding})"
        )
        self.result.findings = [
            CheckOutcome("readable", "fail", "pass", f"Read {plural(len(frame), 'payment line')} from {where}."),
            CheckOutcome(
                "columns",
                "fail",
                "pass",
                "Found the columns: "
                + ", ".join(f"{field_words(f)} '{h}'" for f, h in self.result.columns.items())
                + ".",
            ),
            *parsed.findings(),
        ]
        self.result.normalisations = self.notes + parsed.normalisations(frame)


def _cell(cells: list, index: int | None):
    return cells[index] if index is not None and index < len(cells) else None


def _blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


#: 'Total', 'Grand total', 'Total spend', 'Total for February 2026': never 'Total Gas & Power Ltd'.
_TOTAL_LABEL = re.compile(r"^(grand |sub ?)?totals?( (for|of) .*| spend| expenditure| amount| paid| payments)?$")


def _is_total(cells: list, mapping: Mapping) -> bool:
    """A totals row: no payment date, and a cell saying 'Total' or an amount with no supplier."""
    if values.read_payment_date(_cell(cells, mapping.columns["payment_date"])).value is not None:
        return False
    if any(_TOTAL_LABEL.match(header_key(c)) for c in cells if isinstance(c, str)):
        return True
    amount = values.read_text(_cell(cells, mapping.columns["net_amount"]))
    supplier = values.read_text(_cell(cells, mapping.columns["supplier_name"]))
    return bool(amount) and not supplier
