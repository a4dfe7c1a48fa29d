"""Reading councils' pay deposits: CSV and XLSX to one row per post, headers compared
without case, spacing or punctuation (with a few synonyms), '£' and thousands separators
tidied and counted, and every file that cannot be read a finding in plain words."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from councilbench.pay.read import read_pay
from councilbench.pay.result import FRAME_COLUMNS

D = Decimal
HEADER = (
    "council_code,pay_year,post_id,job_title,role_id,grade,scp_min,scp_max,fte_salary,fte,headcount,allowances,"
    "market_supplement,contract_type"
)
TEMPLATE = Path(__file__).resolve().parents[2] / "plugins" / "councilbench" / "templates" / "pay_template.csv"


def write(tmp_path: Path, content: str | bytes, name: str = "pay-2025-26.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(tmp_path: Path, content: str | bytes, name: str = "pay-2025-26.csv", **kwargs):
    return read_pay(write(tmp_path, content, name), pay_year="2025-26", **kwargs)


def posts(result, columns=("row_number", "post_id", "fte_salary", "fte", "headcount", "scp_min", "scp_max")):
    return [tuple(r) for r in result.frame[list(columns)].itertuples(index=False)]


def outcomes(result) -> dict[str, str]:
    return {f.check: f.outcome for f in result.findings}


def test_a_clean_deposit_reads_every_post_with_its_types(tmp_path):
    r = read(
        tmp_path,
        f"{HEADER}\n"
        "E08000027,2025-26,P001,Planning Officer,planning_officer,G7,20,23,32597,1,2,,,permanent\n"
        "E08000027,2025-26,P002,School Cook,school_cook,G4,7,11,26403.00,0.5,3,250.50,,casual\n",
    )
    assert r.ok and outcomes(r) == {"readable": "pass", "personal_data": "pass", "columns": "pass", "values": "pass"}
    assert list(r.frame.columns) == list(FRAME_COLUMNS)
    assert posts(r) == [
        (2, "P001", D("32597.00"), D("1.0000"), 2, 20, 23),
        (3, "P002", D("26403.00"), D("0.5"), 3, 7, 11),
    ]
    assert r.frame["allowances"].tolist() == [None, D("250.50")]
    assert r.frame["contract_type"].tolist() == ["permanent", "casual"] and r.notes == []


def test_headers_are_compared_without_case_spacing_or_punctuation_and_with_synonyms(tmp_path):
    r = read(
        tmp_path,
        "Council,Pay Year,Post ref,Job Title,Role ID,Grade,SCP (min),Max SCP,Salary (FTE),F.T.E.,Head count\n"
        "Dudley,2025-26,P1,Planning Officer,planning_officer,G7,20,23,32597,1,1\n",
    )
    assert r.ok, r.findings
    assert r.columns["fte_salary"] == "Salary (FTE)" and r.columns["post_id"] == "Post ref"
    assert r.columns["scp_min"] == "SCP (min)" and r.columns["fte"] == "F.T.E."
    assert "the file has no allowances, market supplement, contract type column: read as blank" in r.notes
    for header in ("FTE salary", "Annual salary", "ANNUAL_SALARY", "fte salary (£)"):
        again = read(
            tmp_path, f"council_code,pay_year,post_id,job_title,{header},fte,headcount\nx,2025-26,P1,T,1,1,1\n"
        )
        assert again.columns["fte_salary"] == header


def test_pounds_thousands_percentages_and_spellings_are_tidied_and_counted(tmp_path):
    r = read(
        tmp_path,
        f"{HEADER}\n"
        'Dudley,2025/26,P1,Planning Officer,planning_officer,G7,SCP 20,SCP 23,"£32,597",80%,1,"£1,200",,Fixed term\n'
        'Dudley,2025/2026,P2,Planner,planning_officer,G7,20,23,"32,597.00",1,1,,"3,000",Permanent\n',
    )
    assert r.ok, r.findings
    assert posts(r, ("fte_salary", "fte", "scp_min", "allowances", "market_supplement")) == [
        (D("32597.00"), D("0.8000"), 20, D("1200.00"), None),
        (D("32597.00"), D("1.0000"), 20, None, D("3000.00")),
    ]
    assert r.frame["pay_year"].tolist() == ["2025-26", "2025-26"]
    assert r.frame["contract_type"].tolist() == ["fixed_term", "permanent"]
    assert r.notes == [
        "read 2 amounts written with a '£' sign (rows 2, 2)",
        "read 4 amounts written with thousands separators, such as '24,413' (rows 2, 2, 3, 3)",
        "read 1 FTE written as a percentage, '80%' as 0.8 (row 2)",
        "read 2 spinal column points written with 'SCP' in front, 'SCP 12' as 12 (rows 2, 2)",
        "wrote 2 pay years in the form 2025-26 (rows 2, 3)",
        "read 2 contract types written another way, such as 'Fixed term' as fixed_term (rows 2, 3)",
    ]


def test_an_excel_workbook_with_title_rows_and_a_totals_row(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Posts"
    ws.append(["Dudley MBC pay deposit 2025-26"])
    ws.append([])
    ws.append(HEADER.split(","))
    ws.append(["E08000027", "2025-26", "P1", "Planning Officer", "planning_officer", "G7", 20, 23, 32597.0, 1, 2])
    ws.append(["E08000027", "2025-26", "P2", "Cook", "school_cook", "G4", 7, 11, 26403.2, 0.6, 1])
    ws.append(["Total", None, None, None, None, None, None, None, 58999.2, None, 3])
    out = io.BytesIO()
    wb.save(out)
    r = read(tmp_path, out.getvalue(), name="pay-2025-26.csv")  # a workbook under a .csv name
    assert r.ok and r.file_format == "xlsx" and r.sheet_name == "Posts", r.findings
    assert posts(r, ("row_number", "post_id", "fte_salary", "fte", "headcount")) == [
        (4, "P1", D("32597.00"), D("1.0000"), 2),
        (5, "P2", D("26403.20"), D("0.6000"), 1),
    ]
    assert r.notes == [
        "read 'pay-2025-26.csv' as an Excel workbook (.xlsx): that is what its content is",
        "found the header on row 3, below 1 title row",
        "dropped 1 totals row at the end (row 6)",
    ]


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("pay.csv", HEADER)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty (0 bytes)"),
        (b"<!DOCTYPE html><html><head><title>Sign in</title></head></html>", "served a web page, not a pay file (its title is 'Sign in')"),
        (_zip(), "is a ZIP archive holding pay.csv, not a pay table"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "is a PNG image, not a pay table"),
        (b"abc\x00def", "is binary data, not text"),
        (HEADER.encode() + b"\r\n", "has a header (row 1) but no posts below it"),
        (HEADER.replace(",", ";").encode() + b"\nx;y\n", "separates its columns with semicolons"),
        (b"a,b\n\n\n", "No row among the first 10 names at least three"),
    ],
    ids=["empty", "html", "zip", "png", "binary", "header only", "semicolons", "no header"],
)  # fmt: skip
def test_a_file_that_cannot_be_read_says_why(tmp_path, content, words):
    r = read(tmp_path, content)
    assert r.frame is None and r.outcome == "fail"
    assert any(words in f.message for f in r.findings if f.outcome == "fail"), r.findings


def test_the_template_is_read_as_a_header_with_no_posts():
    r = read_pay(TEMPLATE, pay_year="2025-26")
    assert [f.outcome for f in r.findings] == ["fail"]
    assert "has a header (row 1) but no posts below it" in r.findings[0].message


def test_a_file_over_the_size_limit_is_never_read(tmp_path):
    r = read(tmp_path, f"{HEADER}\n" + "x," * 600, max_bytes=1024)
    assert outcomes(r) == {"readable": "fail"}
    assert "the limit is 1.0 KB" in r.findings[0].message


def test_missing_columns_are_named_with_the_headers_seen(tmp_path):
    r = read(tmp_path, "Council,Pay year,Post ID,Job title,Grade\nDudley,2025-26,P1,Planner,G7\n")
    columns = r.finding("columns")
    assert r.frame is None and columns.outcome == "fail"
    for words in ("there is no FTE salary column (accepted: 'fte_salary', 'salary fte' and 'annual salary')",
                  "there is no headcount column", "Headers seen on row 1: 'Council', 'Pay year', 'Post ID'"):  # fmt: skip
        assert words in columns.message, columns.message
    assert {r["column"] for r in columns.failing_rows} == {"fte_salary", "fte", "headcount"}


def test_two_columns_read_as_one_are_not_guessed_between(tmp_path):
    r = read(tmp_path, "council,pay_year,post_id,job_title,Salary,FTE salary,fte,headcount\nx,2025-26,P1,T,1,1,1,1\n")
    assert "columns 'Salary' and 'FTE salary' (E, F) all read as FTE salary" in r.finding("columns").message


def test_cells_that_are_not_numbers_are_named_by_row_and_column(tmp_path):
    r = read(
        tmp_path,
        f"{HEADER}\n"
        "Dudley,2025-26,P1,Planner,planning_officer,G7,20,23,TBC,1,1,,,\n"
        "Dudley,2025-26,P2,Planner,planning_officer,G7,20,23,32597,1,1.5,,,\n"
        "Dudley,2025-26,,Planner,planning_officer,G7,20,23,32597,,1,#N/A,,\n",
    )
    values = r.finding("values")
    assert values.outcome == "fail" and r.frame is not None
    for words in ("5 cells cannot be read", "row 2 FTE salary 'TBC' (is not a number)",
                  "row 3 headcount '1.5' (is not a whole number)", "row 4 post id is blank", "row 4 FTE is blank",
                  "row 4 allowances '#N/A' (the Excel error #N/A: a formula that found nothing)",
                  "Accepted: post id: a value on every row; FTE salary: the post's annual full-time salary"):  # fmt: skip
        assert words in values.message, values.message
    assert {(x["row"], x["column"]) for x in values.failing_rows} == {
        (2, "fte_salary"),
        (3, "headcount"),
        (4, "post_id"),
        (4, "fte"),
        (4, "allowances"),
    }
