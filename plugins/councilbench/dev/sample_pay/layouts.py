"""A council's posts -> a sheet of cells -> the file's bytes, the way its HR system writes
them: the deposit's canonical columns (docs/pay_guide.md) in its own order and case
('FTE Salary', 'FTE_SALARY'), money plain or with '£' and thousands separators, the
council's GSS code or name, blank or 0 where no allowance is paid. CSV by default; XLSX
(numbers as numbers) for the reader's tests."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from councilbench.core import catalogue
from councilbench.dev.sample_pay.posts import Post
from councilbench.dev.sample_pay.profiles import ORDERS, Layout, Profile
from councilbench.returns.template import deterministic_xlsx

MONEY_COLUMNS = ("fte_salary", "allowances", "market_supplement")
OPTIONAL_MONEY = ("allowances", "market_supplement")
TITLE_HEADERS = {
    "council_code": "Council Code", "pay_year": "Pay Year", "post_id": "Post ID", "job_title": "Job Title",
    "role_id": "Role ID", "grade": "Grade", "scp_min": "SCP Min", "scp_max": "SCP Max", "fte_salary": "FTE Salary",
    "fte": "FTE", "headcount": "Headcount", "allowances": "Allowances", "market_supplement": "Market Supplement",
    "contract_type": "Contract Type",
}  # fmt: skip
CONTRACT_WORDS = {"permanent": "Permanent", "fixed_term": "Fixed Term", "casual": "Casual", "apprentice": "Apprentice"}


def cells_of(post: Post) -> dict[str, object]:
    """A post as the values of its columns (faults change these before they are written)."""
    return {column: getattr(post, column) for column in ORDERS["template"]}


@dataclass
class Sheet:
    """A pay file before it is bytes: the header and one row per post."""

    header: list[str]
    rows: list[list]
    file_format: str = "csv"
    bom: bool = False
    line_end: str = "\n"
    columns: list[str] = field(default_factory=list)  # what each column holds (canonical name or extra header)

    @property
    def first_row(self) -> int:
        return 2  # the header is row 1

    def to_bytes(self) -> bytes:
        if self.file_format == "xlsx":
            return _xlsx_bytes(self)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=self.line_end).writerows([self.header, *self.rows])
        data = buffer.getvalue().encode("utf-8")
        return b"\xef\xbb\xbf" + data if self.bom else data


def _xlsx_bytes(sheet: Sheet) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Posts")
    for row in [sheet.header, *sheet.rows]:
        ws.append(row)
    return deterministic_xlsx(wb)


def header_for(column: str, style: str) -> str:
    if style == "title":
        return TITLE_HEADERS[column]
    return column.upper() if style == "upper" else column


def money_text(value: float, style: str) -> str:
    whole = float(value).is_integer()
    if style == "pounds":
        return f"£{value:,.2f}"
    if style == "thousands":
        return f"{value:,.0f}" if whole else f"{value:,.2f}"
    if style == "decimals":
        return f"{value:.2f}"
    return f"{value:.0f}" if whole else f"{value:.2f}"


def fte_text(value: float, fixed: bool) -> str:
    text = f"{value:.4f}"
    return text if fixed else text.rstrip("0").rstrip(".")


def _csv_cell(column: str, value: object, p: Profile) -> str:
    lay = p.layout
    if value is None or value == "":
        return ""
    if column in OPTIONAL_MONEY and not value and lay.optional_blank:
        return ""
    if column in MONEY_COLUMNS and isinstance(value, int | float):
        return money_text(float(value), lay.money)
    if column == "fte" and isinstance(value, float):
        return fte_text(value, lay.fte_fixed)
    if column == "contract_type" and lay.contract_words:
        return CONTRACT_WORDS.get(str(value), str(value))
    if column == "council_code" and lay.council_cell == "name":
        return _council_name(str(value))
    return str(value)


def _xlsx_cell(column: str, value: object, p: Profile) -> object:
    if column in OPTIONAL_MONEY and not value and p.layout.optional_blank:
        return None
    if column == "council_code" and p.layout.council_cell == "name":
        return _council_name(str(value))
    if isinstance(value, float) and value.is_integer() and column != "fte":
        return int(value)
    return None if value == "" else value


def _council_name(code: str) -> str:
    council = catalogue.councils().get(code)
    return council.name if council else code


def render(
    p: Profile, rows: list[dict[str, object]], extra: list[tuple[str, list]] | None = None, *, xlsx: bool = False
) -> Sheet:
    """The sheet of a council's file: its columns in its order and case, with `extra`
    columns (header, a value per row) after the job title, as a careless export puts them."""
    lay: Layout = p.layout
    order = list(ORDERS[lay.order])
    at = order.index("job_title") + 1
    columns = order[:at] + [h for h, _ in extra or ()] + order[at:]
    extra_values = dict(extra or ())
    header = [header_for(c, lay.header_style) if c in TITLE_HEADERS else c for c in columns]
    cell = _xlsx_cell if xlsx else _csv_cell
    out = []
    for i, row in enumerate(rows):
        out.append([extra_values[c][i] if c in extra_values else cell(c, row[c], p) for c in columns])
    return Sheet(header, out, "xlsx" if xlsx else "csv", lay.bom and not xlsx, lay.line_end, columns)
