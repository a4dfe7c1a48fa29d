"""No personal data in a pay deposit: a column of names, dates of birth, employee,
payroll or staff numbers or National Insurance numbers rejects the whole file and
nothing of it is kept beyond the finding, which names the column and why and never
quotes the value."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from councilbench.pay import personal
from councilbench.pay.read import read_pay

HEADER = "council_code,pay_year,post_id,job_title,role_id,grade,scp_min,scp_max,fte_salary,fte,headcount"
POST = "E08000027,2025-26,{post},{title},planning_officer,G7,20,23,32597,1,1"


def deposit(tmp_path: Path, extra_header: str = "", extra: list[str] = (), posts=None, titles=None) -> Path:
    posts = posts or ["P001", "P002", "P003"]
    titles = titles or ["Planning Officer"] * len(posts)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(",") + ([extra_header] if extra_header else []))
    for i, (post, title) in enumerate(zip(posts, titles, strict=True)):
        writer.writerow(POST.format(post=post, title=title).split(",") + ([extra[i]] if extra_header else []))
    path = tmp_path / "pay-2025-26.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def rejected(path: Path):
    r = read_pay(path, pay_year="2025-26")
    found = r.finding("personal_data")
    assert r.personal_data and found.outcome == "fail" and r.outcome == "fail", r.findings
    assert r.frame is None and r.normalisations == []  # nothing of the file goes further
    return found


def quoted_anywhere(found, values) -> list[str]:
    """Values that show in the message or any failing row."""
    text = found.message + repr(found.failing_rows)
    return [v for v in values if v in text]


@pytest.mark.parametrize(
    ("header", "values", "words"),
    [
        ("Employee name", ["Jane Smith", "Ahmed Khan", "Li Wei"], "column L 'Employee name' holds people's names (its header says so)"),
        ("Surname", ["Smith", "Khan", "Wei"], "column L 'Surname' holds people's names (its header says so)"),
        ("DOB", ["12/03/1985", "01/01/1990", "30/06/1971"], "column L 'DOB' holds dates of birth (its header says so)"),
        ("Payroll No", ["100234", "100235", "100236"], "column L 'Payroll No' holds employee, payroll or staff numbers (its header says so)"),
        ("Emp ID", ["E1", "E2", "E3"], "column L 'Emp ID' holds employee, payroll or staff numbers"),
        ("NI number", ["", "", ""], "column L 'NI number' holds National Insurance numbers (its header says so)"),
        ("Staff", ["Jane Smith", "J. Khan", "Smith, Joanne"], "column L 'Staff' holds people's names: row 2 holds what looks like a person's name, and 2 more rows do too (rows 3, 4)"),
        ("Born", ["1985-03-12", "1990-01-01", ""], "column L 'Born' holds dates of birth"),
        ("Ref", ["QQ 12 34 56 C", "AB123456C", "P3"], "column L 'Ref' holds National Insurance numbers: row 3 holds what looks like a National Insurance number"),
        ("Date", ["12/03/1985", "01/01/1990", "30/06/1971"], "column L 'Date' holds dates of birth: row 2 holds what looks like a date of birth, and 2 more rows do too"),
    ],
    ids=["name header", "surname", "dob header", "payroll number", "emp id", "ni header", "names by value",
         "born", "ni by value", "dates of birth by value"],
)  # fmt: skip
def test_a_column_of_personal_data_rejects_the_file_and_is_named_without_its_values(tmp_path, header, values, words):
    found = rejected(deposit(tmp_path, header, values))
    assert words in found.message, found.message
    assert "nothing from it was loaded" in found.message and "No value from these columns is quoted" in found.message
    assert quoted_anywhere(found, [v for v in values if v]) == []
    assert found.failing_rows and all(
        "not shown" in r["found"] or "a column of" in r["found"] for r in found.failing_rows
    )


def test_national_insurance_numbers_in_a_deposit_column_are_found_too(tmp_path):
    found = rejected(deposit(tmp_path, posts=["P001", "JK 12 34 56 A", "P003"]))
    assert (
        "column C 'post_id' holds National Insurance numbers: row 3 holds what looks like a National Insurance number"
        in found.message
    )
    assert quoted_anywhere(found, ["JK 12 34 56 A", "JK123456A"]) == []
    assert [r["row"] for r in found.failing_rows] == [3]


def test_a_persons_title_in_the_job_title_column_is_found(tmp_path):
    found = rejected(deposit(tmp_path, titles=["Planning Officer", "Mrs J Patel", "Planning Officer"]))
    assert "column D 'job_title' holds people's names: row 3 holds what looks like a person's name" in found.message
    assert quoted_anywhere(found, ["Patel", "Mrs J"]) == []


def test_personal_data_in_a_workbook_is_found_in_date_cells(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append([*HEADER.split(","), "Birthday"])
    wb.active.append([*POST.format(post="P1", title="Planner").split(","), dt.datetime(1984, 2, 29)])
    out = io.BytesIO()
    wb.save(out)
    path = tmp_path / "pay-2025-26.xlsx"
    path.write_bytes(out.getvalue())
    found = rejected(path)
    assert "column L 'Birthday' holds dates of birth (its header says so)" in found.message
    assert quoted_anywhere(found, ["1984", "29/02"]) == []


def test_every_finding_is_said_and_the_columns_check_still_speaks(tmp_path):
    path = tmp_path / "pay.csv"
    path.write_text("Full name,NI,Post ID,Job title,FTE\nJane Smith,QQ123456C,P1,Planner,1\n", encoding="utf-8")
    r = read_pay(path, pay_year="2025-26")
    found = r.finding("personal_data")
    assert "column A 'Full name' holds people's names" in found.message
    assert "column B 'NI' holds National Insurance numbers" in found.message
    assert "delete these columns" in found.message
    assert r.finding("columns").outcome == "fail"  # headers are not personal: the council hears both
    assert quoted_anywhere(found, ["Jane", "QQ123456C"]) == []


def test_a_file_without_a_header_that_holds_names_is_not_quoted_back(tmp_path):
    path = tmp_path / "pay.csv"
    path.write_text("Jane Smith,AB 12 34 56 C\nJohn Jones,AB 65 43 21 D\n", encoding="utf-8")
    r = read_pay(path, pay_year="2025-26")
    assert r.personal_data and r.finding("columns") is None
    assert quoted_anywhere(r.finding("personal_data"), ["Jane", "Jones", "AB 12"]) == []


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Start date", ["01/04/1998", "12/09/2005", "01/01/2010"]),  # other dates, said so by the header
        ("Team", ["Waste Services", "Adult Social Care", "Planning"]),
        ("Directorate", ["Place", "People", "Resources"]),
        ("Notes", ["Market supplement under review", "", "Hard to fill"]),
    ],
    ids=["start date", "team", "directorate", "notes"],
)
def test_columns_that_hold_no_personal_data_are_ignored_not_rejected(tmp_path, header, values):
    r = read_pay(deposit(tmp_path, header, values), pay_year="2025-26")
    assert r.ok and not r.personal_data, r.findings
    assert f"ignored 1 column the deposit does not use: '{header}' (L)" in r.notes


def test_job_titles_and_post_ids_that_only_resemble_personal_data_pass(tmp_path):
    titles = ["Grace Darling Library Assistant", "Sarah's Law Coordinator", "Principal Planner"]
    r = read_pay(deposit(tmp_path, posts=["AB12345", "QQ1234567", "P/0003"], titles=titles), pay_year="2025-26")
    assert r.ok and not r.personal_data, r.findings


def test_header_words_that_are_deposit_columns_are_not_taken_for_people():
    for header in ("Job title", "Post name", "Council name", "Post ID", "Role", "Grade", "Headcount"):
        assert personal.header_holds(header) is None, header
    assert personal.header_holds("Employee Number") == personal.STAFF_NUMBER
    assert personal.header_holds("National Insurance No.") == personal.NI_NUMBER
    assert personal.header_holds("Post holder") == personal.NAMES
