"""Reading councils' "spend over £500" files: five real layouts to canonical lines, each
habit normalised and counted, each unreadable file a finding in plain words."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from councilbench.core import catalogue
from councilbench.ingest.checks import Verdict
from councilbench.spend import values
from councilbench.spend.headers import CANONICAL_FIELDS, KNOWN_FIELDS, header_key, header_map
from councilbench.spend.read import read_spend
from councilbench.spend.result import FRAME_COLUMNS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spend"
D = Decimal
LINE = ("payment_date", "transaction_number", "supplier_name", "net_amount", "redacted", "row_number")


def lines(result, columns=LINE) -> list[tuple]:
    return [tuple(r) for r in result.frame[list(columns)].itertuples(index=False)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read_text(tmp_path: Path, text: str, name: str = "spend.csv", **kwargs):
    return read_spend(write(tmp_path, name, text), **kwargs)


def note(result, kind: str) -> str:
    found = [n.words for n in result.normalisations if n.kind == kind]
    assert found, f"no {kind} normalisation in {result.notes}"
    return found[0]


# --- the five layouts ------------------------------------------------------------------


def test_birmingham_csv_with_a_mangled_pound_header():
    r = read_spend(FIXTURES / "birmingham_2026-02.csv", council_code="E08000025")
    assert r.ok and r.outcome == "pass"
    assert list(r.frame.columns) == list(FRAME_COLUMNS)
    assert r.columns["net_amount"] == "Amount (Â£)"
    assert lines(r) == [
        (dt.date(2026, 2, 1), "5100012345", "ACME CARE HOMES LTD", D("7956.42"), False, 2),
        (dt.date(2026, 2, 3), "5100012346", "Balfour Beatty Living Places", D("1250.00"), False, 3),
        (dt.date(2026, 2, 5), "5100012347", "Veolia ES (UK) Ltd", D("560.00"), False, 4),
        (dt.date(2026, 2, 5), "5100012347", "Veolia ES (UK) Ltd", D("940.50"), False, 5),
        (dt.date(2026, 2, 13), "5100012348", "", D("612.00"), True, 6),
        (dt.date(2026, 2, 17), "5100012349", "Capita Business Services Ltd", D("-250.00"), False, 7),
    ]
    first = r.frame.iloc[0]
    assert (first["body"], first["service_area"], first["expense_type"], first["supplier_id"]) == (
        "Birmingham City Council",
        "Adults Social Care",
        "Residential Care",
        "100234",
    )
    assert r.frame.iloc[4]["supplier_id"] == ""  # the redacted beneficiary's id goes with the name
    assert r.frame.iloc[5]["supplier_id"] == ""  # '#N/A'
    assert "mangled '£'" in note(r, "header_pound")
    assert r.count("float") == 1 and r.count("negative") == 1 and r.count("excel_error") == 1
    assert "13/02/2026 can only be day first" in note(r, "day_first")
    assert r.frame["net_amount"].sum() == D("11068.92")  # the credit note nets


def test_county_xlsx_with_title_rows_serial_dates_and_an_override():
    r = read_spend(FIXTURES / "worcestershire_2026-02.xlsx", council_code="E10000034")
    assert r.ok, r.findings
    assert (r.file_format, r.sheet_name, r.header_row) == ("xlsx", "Spend", 4)
    assert lines(r) == [
        (dt.date(2026, 2, 1), "9000101", "Acme Travel Ltd", D("7956.42"), False, 5),
        (dt.date(2026, 2, 6), "9000102", "Ringway Infrastructure Services Ltd", D("18250.50"), False, 6),
        (dt.date(2026, 2, 16), "9000103", "", D("650.00"), True, 7),
        (dt.date(2026, 2, 27), "9000104", "Grant Thornton UK LLP", D("-480.00"), False, 8),
    ]
    assert lines(r, ("company_number", "vat_registration", "irrecoverable_vat", "expense_code", "service_area")) == [
        ("01234567", "GB123456789", D("0.00"), "5230", "People"),
        ("SC123456", "", None, "5110", "Economy and Infrastructure"),
        ("", "", None, "5301", "People"),
        ("OC307742", "GB888888888", D("-96.00"), "5600", "Commercial and Change"),
    ]
    assert r.frame["body"].unique().tolist() == ["Worcestershire County Council"]
    assert "row 4, below 2 title rows ('Worcestershire County Council'" in note(r, "title_rows")
    assert "46054 = 01/02/2026" in note(r, "serial")
    assert r.count("serial") == 2 and r.count("company_zeros") == 1
    assert "'Reference' as invoice number, as the council's override says" in note(r, "override")
    assert "'Directorate' as the service area" in note(r, "fallback")


def test_without_the_councils_override_two_columns_claim_the_transaction_number():
    r = read_spend(FIXTURES / "worcestershire_2026-02.xlsx")  # no council: no override
    assert not r.ok and r.frame is None
    columns = r.finding("columns")
    assert columns.outcome == "fail"
    assert "'Payment Number' and 'Reference' (G, H) all read as the transaction number" in columns.message
    assert "spend_header_overrides.csv" in columns.message


def test_district_csv_with_net_and_gross_and_month_name_dates():
    r = read_spend(FIXTURES / "cannock-chase_2026-02.csv", council_code="E07000192")
    assert r.ok and r.encoding == "windows-1252"
    assert lines(r) == [
        (dt.date(2026, 2, 2), "CC-20431", "Biffa Waste Services Ltd", D("4200.00"), False, 2),
        (dt.date(2026, 2, 9), "CC-20432", "", D("725.10"), True, 3),
        (dt.date(2026, 2, 19), "CC-20433", "Idverde Ltd", D("3150.75"), False, 4),
    ]
    assert r.columns["net_amount"] == "Net Amount (£)"
    assert "read the net amount" in note(r, "net_and_gross") and "'Gross Amount (£)'" in note(r, "net_and_gross")
    assert r.count("month_name") == 3 and "02-Feb-26 = 02/02/2026" in note(r, "month_name")
    assert r.frame.iloc[0]["purpose"] == "Trade waste collection February"


def test_purchase_card_csv_with_merchant_categories():
    r = read_spend(FIXTURES / "warwickshire-cards_2026-02.csv", council_code="E10000031")
    assert r.ok
    assert lines(r, ("payment_date", "supplier_name", "merchant_category", "card_transaction", "net_amount")) == [
        (dt.date(2026, 2, 2), "AMAZON MARKETPLACE", "Book Stores", True, D("45.99")),
        (dt.date(2026, 2, 10), "PREMIER INN", "Hotels and Motels", True, D("89.00")),
        (dt.date(2026, 2, 23), "SCREWFIX DIRECT", "Hardware Stores", True, D("612.40")),
    ]
    assert r.frame["body"].unique().tolist() == ["Warwickshire County Council"]
    assert r.count("iso_time") == 3 and "2026-02-02 00:00:00" in note(r, "iso_time")


def test_formatted_amounts_brackets_and_a_trailing_total():
    r = read_spend(FIXTURES / "shropshire_2026-02.csv", council_code="E06000051")
    assert r.ok
    assert lines(r) == [
        (dt.date(2026, 2, 3), "SH-1001", "Kier Highways Ltd", D("12500.00"), False, 2),
        (dt.date(2026, 2, 11), "SH-1002", "", D("734.56"), True, 3),
        (dt.date(2026, 2, 20), "SH-1003", "Shropshire Council Pension Fund", D("1234.56"), False, 4),
        (dt.date(2026, 2, 25), "SH-1004", "Kier Highways Ltd", D("-250.00"), False, 5),
    ]
    assert (r.count("pound"), r.count("commas"), r.count("brackets"), r.count("negative")) == (4, 2, 1, 1)
    assert "4 amounts written with '£'" in note(r, "pound")
    assert r.count("totals_dropped") == 1
    assert "row 7 'Total' 14,219.12); it equals the sum of the lines" in note(r, "totals_dropped")
    assert "row 6" in note(r, "blank_rows")


# --- habits, one by one -------------------------------------------------------------------

HEADER = "Payment Date,Transaction Number,Supplier Name,Net Amount\n"


@pytest.mark.parametrize(
    ("text", "value", "habits"),
    [
        ("1234.56", D("1234.56"), set()),
        ("£1,234.56", D("1234.56"), {"pound", "commas"}),
        ("Â£1,234.00", D("1234.00"), {"pound", "commas"}),
        ("(1,234.56)", D("-1234.56"), {"brackets", "commas", "negative"}),
        ("(£250.00)", D("-250.00"), {"brackets", "pound", "negative"}),
        ("-£250", D("-250.00"), {"pound", "negative"}),
        ("£-250", D("-250.00"), {"pound", "negative"}),
        ("7956.420000000001", D("7956.42"), {"float"}),
        ("12.345", D("12.35"), {"sub_pence"}),
        ("#N/A", None, {"excel_error"}),
        ("", None, set()),
    ],
)
def test_amounts_as_councils_write_them(text, value, habits):
    read = values.read_amount(text)
    assert (read.value, set(read.habits), read.error) == (value, habits, None)


def test_float_cells_are_read_to_the_penny():
    assert values.read_amount(7956.420000000001).value == D("7956.42")
    assert values.read_amount(0.1 + 0.2).value == D("0.30")
    assert "float" in values.read_amount(0.1 + 0.2).habits
    assert values.read_amount(500).value == D("500.00")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("12,5", "decimal comma"),
        ("ten pounds", "words, not a number"),
        ("1.2E+05", "scientific notation"),
        ("12.50 approx", "mixes a number"),
        ("#VALUE!", "Excel error #VALUE!"),
    ],
)
def test_amounts_that_are_not_read(text, words):
    read = values.read_amount(text)
    assert read.value is None and words in read.error


@pytest.mark.parametrize(
    ("cell", "date", "habit"),
    [
        ("01/02/2026", dt.date(2026, 2, 1), "numeric"),
        ("1/2/26", dt.date(2026, 2, 1), "numeric"),
        ("2026-02-01", dt.date(2026, 2, 1), "iso"),
        ("2026-02-01 00:00:00", dt.date(2026, 2, 1), "iso_time"),
        ("01-Feb-26", dt.date(2026, 2, 1), "month_name"),
        ("1 February 2026", dt.date(2026, 2, 1), "month_name"),
        ("46054", dt.date(2026, 2, 1), "serial"),
        (46054, dt.date(2026, 2, 1), "serial"),
        (dt.datetime(2026, 2, 1), dt.date(2026, 2, 1), "excel_date"),
    ],
)
def test_dates_as_councils_write_them(cell, date, habit):
    read = values.read_payment_date(cell)
    assert (read.value, read.habit, read.error) == (date, habit, None)


@pytest.mark.parametrize("cell", ["31/02/2026", "next Tuesday", "01-Foo-26", 12, "#REF!"])
def test_dates_that_are_not_read(cell):
    read = values.read_payment_date(cell)
    assert read.value is None and read.error


@pytest.mark.parametrize(
    "name",
    [
        "REDACTED PERSONAL DATA",
        "Redacted under DP Act",
        "Personal Information",
        "Redacted - Personal Data",
        "*** REDACTED ***",
        "Personal data - withheld",
        "Data Protection Act",
        "Private Individual",
        "GDPR Redacted",
        "Name withheld",
    ],
)
def test_redacted_beneficiaries_in_their_many_spellings(name):
    assert values.is_redacted(name)


@pytest.mark.parametrize(
    "name", ["Personal Care Solutions Ltd", "Individual Learning Ltd", "Sensitive Cleaning Services", "Acme Ltd", ""]
)
def test_suppliers_that_are_not_redactions(name):
    assert not values.is_redacted(name)


def test_redactions_are_counted_with_their_spellings(tmp_path):
    r = read_text(
        tmp_path,
        HEADER + "01/02/2026,T1,REDACTED PERSONAL DATA,600\n02/02/2026,T2,Personal Information,700\n"
        "03/02/2026,T3,REDACTED PERSONAL DATA,800\n04/02/2026,T4,Acme Ltd,900\n",
    )
    assert r.redacted_count == 3 and r.frame["redacted"].tolist() == [True, True, True, False]
    assert r.frame["supplier_name"].tolist() == ["", "", "", "Acme Ltd"]
    assert "'REDACTED PERSONAL DATA' x2, 'Personal Information' x1" in note(r, "redacted")


def test_na_cells_are_blank_not_text(tmp_path):
    r = read_text(tmp_path, HEADER.strip() + ",Company Number\n01/02/2026,#N/A,Acme Ltd,600,#N/A\n")
    assert r.ok and r.frame.iloc[0]["transaction_number"] == "" and r.frame.iloc[0]["company_number"] == ""
    assert r.count("excel_error") == 2


def test_a_totals_row_without_a_label_is_dropped_and_a_wrong_total_is_said(tmp_path):
    r = read_text(tmp_path, HEADER + "01/02/2026,T1,Acme Ltd,600\n02/02/2026,T2,Beta Ltd,700\n,,,1400\n")
    assert lines(r, ("transaction_number",)) == [("T1",), ("T2",)]
    assert "row 4 1,400.00); the lines add up to 1,300.00" in note(r, "totals_dropped")


def test_a_repeated_header_inside_the_file_is_dropped(tmp_path):
    r = read_text(tmp_path, HEADER + "01/02/2026,T1,Acme Ltd,600\n" + HEADER + "02/02/2026,T2,Beta Ltd,700\n")
    assert r.ok and r.frame["row_number"].tolist() == [2, 4]
    assert "row 3" in note(r, "repeated_header")


def test_one_transaction_over_several_lines_stays_several_lines(tmp_path):
    r = read_text(tmp_path, HEADER + "01/02/2026,T1,Acme Ltd,600\n01/02/2026,T1,Acme Ltd,450.50\n")
    assert r.line_count == 2 and r.frame["net_amount"].sum() == D("1050.50")
    assert "'T1' on rows 2, 3" in note(r, "split_transactions")


def test_card_transactions_read_from_a_payment_method_column(tmp_path):
    r = read_text(
        tmp_path,
        "Payment Date,Supplier Name,Amount,Payment Method\n01/02/2026,Acme Ltd,600,BACS\n"
        "02/02/2026,Tesco,45,Purchase Card\n",
    )
    assert r.frame["card_transaction"].tolist() == [False, True]


def test_blank_dates_amounts_and_suppliers_are_a_warning_with_rows(tmp_path):
    r = read_text(tmp_path, HEADER + "01/02/2026,T1,Acme Ltd,600\n,T2,Beta Ltd,700\n03/02/2026,T3,,\n")
    warn = r.finding("blank_values")
    assert r.ok and r.outcome == "warn" and warn.outcome == "warn"
    assert "no payment date on row 3" in warn.message
    assert "no supplier name on row 4" in warn.message and "no net amount on row 4" in warn.message


# --- what cannot be read: findings, not exceptions -------------------------------------------


def test_a_missing_amount_column_names_it_and_the_headers_seen(tmp_path):
    r = read_text(tmp_path, "Payment Date,Supplier Name,Service Area,Expense Type\n01/02/2026,Acme Ltd,Waste,Fuel\n")
    columns = r.finding("columns")
    assert r.readable.passed and columns.outcome == "fail" and r.frame is None
    assert "there is no net amount column (accepted: 'amount'" in columns.message
    assert (
        "Headers seen on row 1: 'Payment Date', 'Supplier Name', 'Service Area' and 'Expense Type'" in columns.message
    )
    assert columns.failing_rows[0]["column"] == "net_amount"


def test_gross_alone_is_never_taken_for_net(tmp_path):
    r = read_text(tmp_path, "Payment Date,Supplier Name,Gross Amount\n01/02/2026,Acme Ltd,720\n")
    message = r.finding("columns").message
    assert "the only amount is the gross amount 'Gross Amount' (column C)" in message
    assert "excluding recoverable VAT" in message


def test_no_header_row_shows_what_the_first_row_says(tmp_path):
    r = read_text(tmp_path, "Spend report,February\nfoo,bar,baz\n1,2,3\n")
    message = r.finding("columns").message
    assert "the header cannot be found" in message and "(row 1) reads 'Spend report' and 'February'" in message
    assert "'payment date'" in message


def test_amounts_as_text_are_a_finding_with_rows(tmp_path):
    r = read_text(tmp_path, HEADER + '01/02/2026,T1,Acme Ltd,ten pounds\n02/02/2026,T2,Beta Ltd,"12,5"\n')
    amounts = r.finding("amounts")
    assert not r.ok and r.frame is not None and amounts.outcome == "fail"
    assert (
        "2 amounts in column 'Net Amount' cannot be read: row 2 'ten pounds' (is words, not a number)"
        in amounts.message
    )
    assert "row 3 '12,5' (has a comma where a decimal point is expected" in amounts.message
    assert "Accepted: a figure such as 1234.56" in amounts.message and "publish the file again" in amounts.message
    assert [f["row"] for f in amounts.failing_rows] == [2, 3]


def test_month_first_dates_are_said_not_guessed(tmp_path):
    r = read_text(tmp_path, HEADER + "02/03/2026,T1,Acme Ltd,600\n02/15/2026,T2,Beta Ltd,700\n")
    dates = r.finding("dates")
    assert dates.outcome == "fail"
    assert "written month first: row 3 has 02/15/2026" in dates.message
    assert "every date such as 02/03/2026 in this file is ambiguous" in dates.message


def test_dates_that_could_be_month_first_are_said(tmp_path):
    body = "".join(f"02/{m:02d}/2026,T{m},Acme Ltd,600\n" for m in (1, 4, 7, 10, 12))
    r = read_text(tmp_path, HEADER + body)
    dates = r.finding("dates")
    assert dates.outcome == "fail" and "may be written month first" in dates.message
    assert "every one starts with 02" in dates.message and "No date has a day above 12" in dates.message


def test_impossible_dates_are_a_finding(tmp_path):
    r = read_text(tmp_path, HEADER + "13/02/2026,T1,Acme Ltd,600\n31/02/2026,T2,Beta Ltd,700\n")
    dates = r.finding("dates")
    assert dates.outcome == "fail" and "row 3 '31/02/2026' (is not a real day of the calendar" in dates.message


def test_an_html_page_served_for_the_file(tmp_path):
    page = "<!DOCTYPE html><html><head><title>Sign in - Council Portal</title></head><body></body></html>"
    r = read_text(tmp_path, page)
    assert not r.readable.passed and r.findings == [r.readable]
    assert "served a web page, not a spend file (its title is 'Sign in - Council Portal')" in r.readable.message


def test_an_empty_file(tmp_path):
    r = read_text(tmp_path, "")
    assert not r.readable.passed and "empty (0 bytes)" in r.readable.message


def test_a_file_of_blank_lines(tmp_path):
    r = read_text(tmp_path, "\n \n\n")
    assert not r.readable.passed and "no rows at all" in r.readable.message


def test_a_header_without_lines(tmp_path):
    r = read_text(tmp_path, HEADER + ",,,\n")
    assert not r.readable.passed and "has a header (row 1) but no payment lines below it" in r.readable.message


def test_a_zip_named_csv(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("spend-feb-2026.csv", HEADER)
    r = read_text(tmp_path, buffer.getvalue(), name="spend.csv")
    assert not r.readable.passed
    assert "'spend.csv' is a ZIP archive holding spend-feb-2026.csv, not a spend table" in r.readable.message


def test_semicolons_are_not_guessed(tmp_path):
    r = read_text(tmp_path, HEADER.replace(",", ";") + "01/02/2026;T1;Acme Ltd;600,50\n")
    assert not r.readable.passed and "semicolons" in r.readable.message


def test_a_runaway_file_is_not_read(tmp_path):
    r = read_text(tmp_path, HEADER + "01/02/2026,T1,Acme Ltd,600\n" * 50, max_bytes=1024)
    assert not r.readable.passed and "the limit is" in r.readable.message


def test_a_workbook_with_two_spend_sheets_is_not_guessed(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Payment Date", "Supplier Name", "Net Amount"])
    wb.create_sheet("March").append(["Payment Date", "Supplier Name", "Net Amount"])
    wb.save(tmp_path / "spend.xlsx")
    r = read_spend(tmp_path / "spend.xlsx")
    assert not r.readable.passed and "Sheets 'Sheet' and 'March' each have a spend header" in r.readable.message


def test_a_result_wraps_into_an_ingest_verdict():
    r = read_spend(FIXTURES / "shropshire_2026-02.csv")
    verdict = Verdict(checks=r.findings, normalisations=r.notes, rows=r.frame)
    assert verdict.outcome == "pass" and verdict.checks[0].check == "readable"
    assert any("totals row" in n for n in verdict.normalisations)


# --- the seeds ---------------------------------------------------------------------------


def test_header_keys_ignore_case_punctuation_and_mangled_pounds():
    keys = {header_key(h) for h in ("Amount (Â£)", "amount (\\xa3)", "AMOUNT (£)", " Amount ", "\ufeffAmount")}
    assert keys == {"amount"}
    assert header_key("Transaction No.") == "transaction no"


def test_the_synonym_seed_covers_every_field_and_overrides_name_real_councils():
    seeded = header_map()
    assert set(seeded.synonyms.values()) <= KNOWN_FIELDS
    assert set(CANONICAL_FIELDS) <= set(seeded.synonyms.values())
    from councilbench.spend.headers import _seeded_overrides

    for code, overrides in _seeded_overrides().items():
        assert catalogue.find_council(code).code == code
        assert set(overrides.values()) <= KNOWN_FIELDS


def test_the_seed_documentation_accepts_exactly_the_known_fields():
    import yaml

    from councilbench.spend.headers import HELPER_FIELDS

    seeds = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "seeds.yml").read_text())
    synonyms = next(s for s in seeds["seeds"] if s["name"] == "spend_header_synonyms")
    field = next(c for c in synonyms["columns"] if c["name"] == "field")
    accepted = next(t["accepted_values"]["arguments"]["values"] for t in field["data_tests"] if isinstance(t, dict))
    assert set(accepted) == set(CANONICAL_FIELDS + HELPER_FIELDS)


def test_a_supplier_called_total_is_a_line_not_a_totals_row(tmp_path):
    r = read_text(
        tmp_path,
        HEADER + "01/02/2026,T1,Acme Ltd,600\n02/02/2026,T2,Total Gas & Power Ltd,700\nGrand Total,,,1300\n",
    )
    assert r.frame["supplier_name"].tolist() == ["Acme Ltd", "Total Gas & Power Ltd"]
    assert r.count("totals_dropped") == 1 and "row 4 'Grand Total' 1,300.00" in note(r, "totals_dropped")


def test_a_month_first_date_in_a_day_first_file_is_a_bad_date(tmp_path):
    r = read_text(tmp_path, HEADER + "13/02/2026,T1,Acme Ltd,600\n02/15/2026,T2,Beta Ltd,700\n")
    dates = r.finding("dates")
    assert dates.outcome == "fail" and [f["row"] for f in dates.failing_rows] == [3]
    assert "row 3 '02/15/2026' (is not a real day of the calendar, read day first)" in dates.message
