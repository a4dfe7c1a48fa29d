"""The pay deposit's checks in one GX run (expectations/council_pay.json): each failing
check says which rows, what was wrong and what is accepted; a missing or unknown role
id gets catalogue roles suggested for the job title; a batch judges each deposit on its
own rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from councilbench.core import catalogue
from councilbench.ingest import expectations
from councilbench.pay import checks, explain, roles
from councilbench.pay.catalogue import spine
from councilbench.pay.read import read_pay

YEAR = "2025-26"
DUDLEY = catalogue.find_council("dudley").code
COLUMNS = ("council_code", "pay_year", "post_id", "job_title", "role_id", "grade", "scp_min", "scp_max",
           "fte_salary", "fte", "headcount", "contract_type")  # fmt: skip
SPINE = spine(YEAR)


def post(post_id: str, **changes) -> dict:
    """A planning officer on SCP 20-23, paid SCP 21's salary: every check passes."""
    row = {
        "council_code": DUDLEY, "pay_year": YEAR, "post_id": post_id, "job_title": "Planning Officer",
        "role_id": "planning_officer", "grade": "G7", "scp_min": 20, "scp_max": 23, "fte_salary": SPINE[21],
        "fte": 1, "headcount": 1, "contract_type": "permanent",
    }  # fmt: skip
    return {**row, **changes}


def pay_file(
    tmp_path: Path, rows: list[dict], council: str = DUDLEY, year: str = YEAR, name: str = "a"
) -> checks.PayFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / f"{name}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    read = read_pay(path, pay_year=year)
    assert read.ok, read.findings
    return checks.PayFile(read, council, year)


def judged(*files: checks.PayFile) -> list[dict]:
    return [{c.check: c for c in outcomes} for outcomes in checks.gx_checks(list(files))]


def test_the_suite_loads_and_names_a_worded_check_for_every_expectation():
    suite = expectations.load_suite(checks.SUITE)
    named = {e["meta"]["check"] for e in suite["expectations"]}
    assert named == set(explain.WORDS)
    assert all(e["meta"]["notes"] for e in suite["expectations"])


def test_a_good_deposit_passes_every_check(tmp_path):
    [result] = judged(pay_file(tmp_path, [post("P1"), post("P2", scp_min=3, scp_max=5, fte_salary=SPINE[4])]))
    assert {name: c.outcome for name, c in result.items()} == dict.fromkeys((*explain.WORDS, "spine"), "pass")
    assert result["spine"].message == "Salaries checked against the 2025-26 spine (points 2 to 43)."


def test_each_failing_check_says_which_rows_what_was_wrong_and_what_is_accepted(tmp_path):
    rows = [
        post("P1"),
        post("P2", fte_salary=14.2),  # an hourly rate
        post("P3", fte_salary=2300),  # a monthly salary
        post("P4", fte_salary=SPINE[28]),  # above SCP 23
        post("P5", scp_min=30, scp_max=25),
        post("P6", scp_min="", scp_max=25),
        post("P7", fte=37),
        post("P8", headcount=0),
        post("P1"),  # P1 again
        post("P10", pay_year="2024-25"),
        post("P11", council_code="Walsall"),
        post("P12", contract_type="zero hours"),
    ]
    [result] = judged(pay_file(tmp_path, rows))
    expected = {
        "annual_salary": ["row 3 £14.20 looks like an hourly rate (over a full-time year of 1,929 hours it is £27,396)",
                          "row 4 £2,300 looks like a monthly salary (twelve of them are £27,600)",
                          "Give the annual figure"],
        "salary_scp": [f"row 5 £{SPINE[28]:,.0f} is above its range (SCP 20 to 23 on the 2025-26 spine pays "
                       f"£{SPINE[20]:,.0f} to £{SPINE[23]:,.0f})", "1% either side"],
        "scp_points": ["row 6 has SCP minimum 30 above its maximum 25", "row 7 gives SCP maximum 25 without the other"],
        "fte": ["row 8 FTE 37 (it looks like weekly hours: FTE is hours ÷ 37)", "above 0 and at most 1"],
        "headcount": ["a headcount below 1: row 9", "A vacant post is left out"],
        "no_duplicate_posts": ["'P1' on rows 2, 10", "Each post is one row"],
        "pay_year": ["1 row says the pay year is '2024-25', but this deposit is for 2025-26 (row 11)"],
        "council": ["The file says it is from 'Walsall' (row 12), but it was fetched from Dudley Metropolitan "
                    "Borough Council's pay deposit address. It may be Walsall Metropolitan Borough Council's file",
                    "Accepted in the council column: 'Dudley Metropolitan Borough Council' or E08000027"],
        "contract_type": ["('zero hours': row 13)", "Accepted: permanent, fixed_term, casual, apprentice, or blank"],
    }  # fmt: skip
    assert {name for name, c in result.items() if c.outcome == "fail"} == set(expected)
    for name, words in expected.items():
        for w in words:
            assert w in result[name].message, (name, result[name].message)
    assert [r["row"] for r in result["annual_salary"].failing_rows] == [3, 4]
    assert result["role"].outcome == "pass" and result["spine"].outcome == "pass"


def test_a_salary_check_is_not_doubled_by_an_hourly_or_monthly_salary(tmp_path):
    [result] = judged(pay_file(tmp_path, [post("P1", fte_salary=12.5)]))
    assert result["annual_salary"].outcome == "fail" and result["salary_scp"].outcome == "pass"


def test_a_deleted_point_inside_the_range_is_skipped_and_a_range_off_the_spine_is_not(tmp_path):
    """SCP 2 is gone from April 2026: a grade of SCP 2-4 starts at SCP 3 that year."""
    year = "2026-27"
    points = spine(year)
    assert 2 not in points
    rows = [post("P1", pay_year=year, scp_min=2, scp_max=4, fte_salary=points[3]),
            post("P2", pay_year=year, scp_min=70, scp_max=72, fte_salary=points[43])]  # fmt: skip
    [result] = judged(pay_file(tmp_path, rows, year=year))
    assert [r["row"] for r in result["scp_points"].failing_rows] == [3]
    assert f"row 3 has SCP 70 to 72, and no point of it is on the {year} spine" in result["scp_points"].message


def test_a_missing_or_unknown_role_gets_catalogue_roles_suggested_for_the_job_title(tmp_path):
    rows = [
        post("P1", role_id="", job_title="Social Worker - Children in Care"),
        post("P2", role_id="refuse_driver", job_title="HGV Driver - Refuse"),
        post("P3", role_id="", job_title="Zxqv Wibble"),
    ]
    [result] = judged(pay_file(tmp_path, rows))
    role = result["role"]
    assert role.outcome == "fail"
    assert (
        "row 2 'Social Worker - Children in Care' has no role id (it may be childrens_social_worker (Children's social worker)"
        in role.message
    )
    assert (
        "row 3 'HGV Driver - Refuse' has role id 'refuse_driver', which is not in the catalogue (it may be refuse_collection_driver"
        in role.message
    )
    assert "row 4 'Zxqv Wibble' has no role id (no catalogue role is close: choose one)" in role.message
    assert "nothing is guessed" in role.message
    assert role.failing_rows[0]["accepted"].startswith("a catalogue role id; closest: childrens_social_worker")


def test_suggestions_are_the_closest_roles_each_once_best_first():
    found = roles.suggest("Senior Planning Officer")
    assert found[0].role_id == "senior_planning_officer" and len(found) <= roles.TOP
    assert len({s.role_id for s in found}) == len(found)
    assert roles.suggest("Officer") == []  # a filler word alone suggests nothing
    many = roles.suggest_many(["Refuse Loader", "Town Planner"])
    assert many["Refuse Loader"][0].role_id == "refuse_loader" and many["Town Planner"][0].role_id == "planning_officer"


def test_a_batch_judges_each_deposit_on_its_own_rows(tmp_path):
    """The same post ids in two councils' deposits are no duplicates; one's fault is its own."""
    walsall = catalogue.find_council("walsall").code
    good = pay_file(tmp_path, [post("P1"), post("P2")], name="dudley")
    other = pay_file(tmp_path, [post("P1", council_code=walsall), post("P2", council_code=walsall, headcount=0)],
                     council=walsall, name="walsall")  # fmt: skip
    first, second = judged(good, other)
    assert all(c.outcome == "pass" for c in first.values())
    assert [name for name, c in second.items() if c.outcome == "fail"] == ["headcount"]


@pytest.mark.parametrize("year", ["2031-32"])
def test_a_pay_year_without_a_spine_loads_with_a_warning(tmp_path, year):
    [result] = judged(pay_file(tmp_path, [post("P1", pay_year=year)], year=year))
    assert result["spine"].outcome == "warn" and "not in the catalogue yet" in result["spine"].message
    assert result["salary_scp"].outcome == "pass" and result["scp_points"].outcome == "pass"


def test_the_guides_example_rows_pass_every_check(tmp_path):
    guide = (Path(__file__).resolve().parents[2] / "docs" / "pay_guide.md").read_text(encoding="utf-8")
    example = guide.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "guide.csv"
    path.write_text(example, encoding="utf-8")
    read = read_pay(path, pay_year=YEAR)
    [result] = judged(checks.PayFile(read, DUDLEY, YEAR))
    assert read.ok and all(c.outcome == "pass" for c in result.values()), result
