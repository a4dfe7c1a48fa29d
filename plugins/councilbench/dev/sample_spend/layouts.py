"""Six layouts councils publish in: lines -> a sheet of cells -> the file's bytes.

From the five real ones in tests/fixtures/spend plus the LGA's template, each with its
habits: '£' mangled in a header, float tails, '#N/A', title rows and Excel serial dates,
brackets for credits and a trailing total, Windows-1252, purchase-card lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from dataclasses import dataclass, field

from councilbench.core.catalogue import Council
from councilbench.dev.sample_spend.lines import Line, period_label
from councilbench.dev.sample_spend.profiles import SEED, Profile
from councilbench.returns.template import deterministic_xlsx
from councilbench.spend.headers import header_map
from councilbench.spend.values import EXCEL_EPOCH

#: ProClass level 1 -> (directorate, service area) that buys it.
DIRECTORATES = {
    "Care Services (Adults)": ("People", "Adult Social Care"), "Care Services (Children)": ("People", "Children's Services"),
    "Education": ("People", "Education"), "Healthcare": ("People", "Public Health"),
    "Social Community Care Supplies & Services": ("People", "Communities"),
    "Construction": ("Place", "Property Services"), "Highways": ("Place", "Highways"),
    "Waste Management": ("Place", "Environmental Services"), "Horticultural": ("Place", "Parks & Open Spaces"),
    "Public Transport": ("Place", "Transport"), "Information Communication Technology": ("Resources", "ICT"),
    "Non-Influenceable Spend": ("Resources", "Finance"), "Housing Management": ("Communities", "Housing"),
}  # fmt: skip

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NA = "#N/A"


@dataclass
class Sheet:
    """A spend file before it is bytes: title rows, the header, one row per line, then
    what councils put after the lines (a blank row, a total)."""

    layout: str
    header: list[str]
    rows: list[list]
    amount_column: int  # the net amount's column
    date_column: int
    titles: list[list] = field(default_factory=list)
    trailer: list[list] = field(default_factory=list)
    file_format: str = "csv"
    encoding: str = "utf-8"
    bom: bool = False
    line_end: str = "\n"
    delimiter: str = ","
    habits: Counter = field(default_factory=Counter)

    @property
    def first_row(self) -> int:
        """The spreadsheet row of the first line (title rows and the header above it)."""
        return len(self.titles) + 2

    def to_bytes(self) -> bytes:
        if self.file_format == "xlsx":
            return _xlsx_bytes(self)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator=self.line_end)
        writer.writerows([*self.titles, self.header, *self.rows, *self.trailer])
        data = buffer.getvalue().encode(self.encoding)
        return b"\xef\xbb\xbf" + data if self.bom else data


def _xlsx_bytes(sheet: Sheet) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)  # a county's year is 100,000 rows: write-only is 3x faster
    notes = wb.create_sheet("Notes")
    notes.append(["Payments over £500 are published under the Local Government Transparency Code 2015."])
    notes.append(["Personal data of individuals is redacted."])
    ws = wb.create_sheet("Spend")
    for row in [*sheet.titles, sheet.header, *sheet.rows, *sheet.trailer]:
        ws.append(row)
    return deterministic_xlsx(wb)


def _service(category: tuple[str, str]) -> tuple[str, str]:
    return DIRECTORATES.get(category[0], ("Resources", "Corporate Services"))


def _prefix(council: Council) -> str:
    return "".join(w[0] for w in council.short_name.split("-") if w not in ("and", "on", "under")).upper()


class _Cells:
    """Writes amounts and optional cells the way one council's system does, counting habits."""

    def __init__(self, p: Profile, period: str, seed: int, habits: Counter) -> None:
        self.p = p
        self.rng = random.Random(f"spend-cells:{seed}:{p.council.code}:{period}")
        self.habits = habits

    def na(self, text: str | None) -> str | None:
        """'#N/A' where a lookup failed, in a column nothing depends on."""
        if self.rng.random() < self.p.na_share:
            self.habits["excel_error"] += 1
            return NA
        return text

    def float_tail(self, pence: int) -> float:
        """The amount as a float, sometimes with a binary float's tail (7956.420000000001)."""
        if self.rng.random() < self.p.float_share:
            self.habits["float"] += 1
            return _with_tail(pence)
        return pence / 100


def _with_tail(pence: int) -> float:
    """A one in the 16th significant digit: what a sum of floats leaves, and what survives
    both a CSV export and openpyxl's 16-digit cells (a tail under a millionth of a pound)."""
    pounds, pennies = divmod(abs(pence), 100)
    for digits in (16, 15):  # 16 unless the one is under half a float step there (953.45)
        value = float(f"{pounds}.{pennies:02d}{'0' * (digits - len(str(pounds)) - 3)}1")
        if value != abs(pence) / 100:
            break
    return -value if pence < 0 else value


def _plain(pence: int) -> str:
    return f"{pence / 100:.2f}"


def _trimmed(value: float) -> str:
    """As a spreadsheet exports a General cell: 1250, 560.5, 7956.420000000001."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _formatted(pence: int) -> str:
    money = f"£{abs(pence) / 100:,.2f}"
    return f"({money})" if pence < 0 else money


def _metropolitan(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    c = p.council
    header = ["Body Name", "Body", "Directorate", "Service Area", "Expenses Type", "Date", "Transaction No.",
              "Amount (Â£)", "Supplier Name", "Supplier ID"]  # fmt: skip
    rows = [
        [c.name, c.code, *_service(x.category), x.expense_type, f"{x.payment_date:%d/%m/%Y}", x.transaction_number,
         _trimmed(cells.float_tail(x.net_pence)), x.raw_name, cells.na(x.vendor_id)]
        for x in lines
    ]  # fmt: skip
    return Sheet("metropolitan_csv", header, rows, 7, 5, bom=True, line_end="\r\n")


def _county(p: Profile, lines: list[Line], cells: _Cells, period: str) -> Sheet:
    c = p.council
    # Worcestershire's 'Reference' is its invoice number (its override); others say so.
    invoice = "Reference" if header_map(c.code).field_for("Reference")[0] == "invoice_number" else "Invoice Number"
    header = ["Organisation Name", "Organisation Code", "Directorate", "Expenditure Category", "Expense Code",
              "Payment Date", "Payment Number", invoice, "Supplier Name", "Supplier Number", "Company Number",
              "VAT Registration Number", "Net Amount", "Irrecoverable VAT"]  # fmt: skip
    rows = []
    for x in lines:
        serial = cells.rng.random() < 0.5  # a date cell left in General format is its serial number
        date = (x.payment_date - EXCEL_EPOCH).days if serial else dt.datetime.combine(x.payment_date, dt.time())
        company = x.company_number
        if company and company.replace(".0", "").isdigit() and company != company.zfill(8):
            company = int(float(company))  # Excel kept it as a number: the leading zeros are gone
        rows.append(
            [c.name, c.code, _service(x.category)[0], x.expense_type, _ledger_cell(p.expense_codes[x.expense_type]), date,
             int(x.transaction_number), f"INV-{x.transaction_number[-6:]}", x.raw_name, int(x.vendor_id), company,
             cells.na(x.vat_number), cells.float_tail(x.net_pence), 0 if x.vat_pence else None]
        )  # fmt: skip
    titles = [[c.name], [f"Expenditure over £500: {period_label(period)}"], []]
    return Sheet("county_xlsx", header, rows, 12, 5, titles=titles, file_format="xlsx")


def _ledger_cell(code: str) -> int | str:
    """A numeric ledger code is a number in the workbook; 'B4210' stays text."""
    return int(code) if code.isdigit() else code


def _district(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    header = ["Payment Date", "Transaction Ref", "Supplier", "Department", "Expense Type", "Purpose",
              "Net Amount (£)", "VAT", "Gross Amount (£)"]  # fmt: skip
    prefix = _prefix(p.council)
    rows = [
        [f"{x.payment_date.day:02d}-{MONTH_ABBR[x.payment_date.month - 1]}-{x.payment_date:%y}",
         f"{prefix}-{x.transaction_number}", x.raw_name, _service(x.category)[0], x.expense_type, cells.na(x.purpose),
         _plain(x.net_pence), _plain(x.vat_pence), _plain(x.net_pence + x.vat_pence)]
        for x in lines
    ]  # fmt: skip
    return Sheet("district_cp1252", header, rows, 6, 0, encoding="cp1252", line_end="\r\n")


def _card(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    header = ["Body", "Transaction Date", "Transaction ID", "Supplier Name", "Merchant Category", "Amount",
              "Description", "Directorate", "Expense Type", "Card Transaction"]  # fmt: skip
    rows = [
        [p.council.name, f"{x.payment_date.isoformat()} 00:00:00", x.transaction_number, x.raw_name,
         cells.na(x.merchant_category) if x.card else x.merchant_category, _plain(x.net_pence), x.purpose,
         _service(x.category)[0], x.expense_type, "Y" if x.card else "N"]
        for x in lines
    ]  # fmt: skip
    return Sheet("purchase_card", header, rows, 5, 1)


def _formatted_sheet(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    header = ["Date Paid", "Payment Reference", "Beneficiary", "Service", "Expenditure Type", "Amount"]
    prefix = _prefix(p.council)
    rows = [
        [f"{x.payment_date:%d/%m/%Y}", f"{prefix}-{x.transaction_number}", x.raw_name, cells.na(_service(x.category)[1]),
         x.expense_type, _formatted(x.net_pence)]
        for x in lines
    ]  # fmt: skip
    sheet = Sheet("formatted_csv", header, rows, 5, 0)
    sheet.trailer = [[""] * 6, ["Total", "", "", "", "", _formatted(sum(x.net_pence for x in lines))]]
    return sheet


def _lga(p: Profile, lines: list[Line], cells: _Cells) -> Sheet:
    c = p.council
    header = ["Body Name", "Body", "Service Area Categorisation", "Service Division Categorisation", "Expenses Type",
              "Expenses Code", "Narrative", "Date", "Transaction Number", "Amount", "Supplier Name", "Supplier ID",
              "VAT Registration Number", "Company Number"]  # fmt: skip
    rows = []
    for x in lines:
        directorate, service = _service(x.category)
        rows.append(
            [c.name, c.code, service, directorate, x.expense_type, p.expense_codes[x.expense_type], x.purpose,
             x.payment_date.isoformat(), x.transaction_number, _plain(x.net_pence), x.raw_name, cells.na(x.vendor_id),
             x.vat_number or "", x.company_number or ""]
        )  # fmt: skip
    return Sheet("lga_template", header, rows, 9, 7)


#: Layouts that say which council the file is from (a Body column).
BODY_LAYOUTS = frozenset({"metropolitan_csv", "county_xlsx", "purchase_card", "lga_template"})


def render(p: Profile, period: str, lines: list[Line], seed: int = SEED) -> Sheet:
    habits = Counter()
    cells = _Cells(p, period, seed, habits)
    if p.layout == "county_xlsx":
        sheet = _county(p, lines, cells, period)
    else:
        make = {"metropolitan_csv": _metropolitan, "district_cp1252": _district, "purchase_card": _card,
                "formatted_csv": _formatted_sheet, "lga_template": _lga}[p.layout]  # fmt: skip
        sheet = make(p, lines, cells)
    sheet.habits = habits + line_habits(lines)
    return sheet


def line_habits(lines: list[Line]) -> Counter:
    numbers = Counter(x.transaction_number for x in lines)
    return Counter(
        {
            "negative": sum(x.net_pence < 0 for x in lines),
            "redacted": sum(x.redacted for x in lines),
            "card": sum(x.card for x in lines),
            "split_transactions": sum(n > 1 for n in numbers.values()),
            "split_parts_under_500": sum(
                0 <= x.net_pence < 50_000 and numbers[x.transaction_number] > 1 for x in lines
            ),
        }
    )
