"""The role catalogue and the NJC pay spine: the seeds hold what the service needs, the
plain-Python reader answers from them, and dbt loads them into the warehouse with their
tests passing."""

from __future__ import annotations

import csv
import itertools
from collections import Counter

import pytest

from councilbench.core import settings
from councilbench.pay import catalogue
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt

YEARS = ["2023-24", "2024-25", "2025-26", "2026-27"]


# --- roles --------------------------------------------------------------------------------------


def test_at_least_150_roles_in_job_families_with_the_roles_the_issue_names():
    roles = catalogue.roles()
    families = Counter(r.job_family for r in roles.values())
    assert len(roles) >= 150
    assert len(families) >= 15 and min(families.values()) >= 4, families
    for role_id in ("childrens_social_worker", "refuse_collection_driver", "planning_officer", "accountant",
                    "hr_adviser", "environmental_health_officer"):  # fmt: skip
        assert role_id in roles
    assert roles["childrens_social_worker"].role_name == "Children's social worker"
    assert roles["childrens_social_worker"].job_family == "Social care (children)"


def test_every_role_range_is_on_the_spine_of_every_pay_year():
    for role in catalogue.roles().values():
        assert 3 <= role.typical_scp_min <= role.typical_scp_max <= 43, role
        for year in YEARS:
            assert {role.typical_scp_min, role.typical_scp_max} <= set(catalogue.spine(year)), (role.role_id, year)


def test_synonyms_are_real_titles_each_naming_one_role():
    roles = catalogue.roles()
    owners: dict[str, set[str]] = {}
    for role in roles.values():
        assert len(role.synonyms) >= 3, role.role_id
        assert role.titles[0] == role.role_name and role.titles[1:] == role.synonyms
        for title in role.synonyms:
            assert title == title.strip() and "|" not in title
            owners.setdefault(title.lower(), set()).add(role.role_id)
    shared = {title: ids for title, ids in owners.items() if len(ids) > 1}
    assert not shared, f"a title that names two roles cannot suggest one: {shared}"
    assert "Social Worker - Children" in roles["childrens_social_worker"].synonyms
    assert "HGV Driver - Refuse" in roles["refuse_collection_driver"].synonyms


def test_a_role_range_running_backwards_is_refused(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "pay_roles.csv").write_text(
        "role_id,role_name,job_family,typical_scp_min,typical_scp_max,synonyms\nx,X,Finance,12,9,X\n"
    )
    monkeypatch.setattr(settings, "seeds_dir", lambda: seeds)
    catalogue.roles.cache_clear()
    try:
        with pytest.raises(ValueError, match="x has typical_scp_min above typical_scp_max"):
            catalogue.roles()
    finally:
        catalogue.roles.cache_clear()


# --- the spine ----------------------------------------------------------------------------------


def test_the_spine_holds_each_pay_year_with_deleted_points_absent():
    assert catalogue.pay_years() == YEARS
    points = {year: catalogue.spine(year) for year in YEARS}
    assert min(points["2023-24"]) == 1 and min(points["2024-25"]) == 2 and min(points["2026-27"]) == 3
    assert all(max(p) == 43 for p in points.values())
    assert all(list(p) == list(range(min(p), 44)) for p in points.values())  # no gap inside a year


def test_the_spine_has_the_published_values_and_rises_point_by_point_and_year_by_year():
    s = {year: catalogue.spine(year) for year in YEARS}
    # The national agreements: £1,925 in 2023, SCP 1 deleted and £1,290 in 2024, 3.2% in 2025.
    assert (s["2023-24"][1], s["2023-24"][2], s["2023-24"][43]) == (22_183, 22_366, 51_515)
    assert (s["2024-25"][2], s["2024-25"][3], s["2024-25"][43]) == (23_656, 24_027, 52_805)
    assert (s["2025-26"][2], s["2025-26"][43]) == (24_413, 54_495)
    for year, points in s.items():
        salaries = list(points.values())
        assert salaries == sorted(set(salaries)), year
    for before, after in itertools.pairwise(YEARS):
        assert all(s[after][scp] > s[before][scp] for scp in s[after]), after


def test_spine_of_an_unknown_year_says_which_years_there_are():
    with pytest.raises(ValueError, match=r"no pay year 2027-28 \(it holds 2023-24, 2024-25, 2025-26, 2026-27\)"):
        catalogue.spine("2027-28")
    with pytest.raises(ValueError, match="'2025/2026' is not a pay year: write it as YYYY-YY"):
        catalogue.spine("2025/2026")
    with pytest.raises(ValueError, match="not a pay year"):
        catalogue.spine("2025-27")
    copy = catalogue.spine("2025-26")
    copy[2] = 0.0
    assert catalogue.spine("2025-26")[2] == 24_413


def test_scp_for_salary_is_the_nearest_point():
    points = catalogue.spine("2025-26")
    assert catalogue.scp_for_salary("2025-26", points[29]) == 29
    assert catalogue.scp_for_salary("2025-26", points[29] + 1) == 29
    assert catalogue.scp_for_salary("2025-26", (points[29] + points[30]) / 2) == 29  # a tie: the lower point
    assert catalogue.scp_for_salary("2025-26", points[30] - 1) == 30
    assert catalogue.scp_for_salary("2025-26", 12.66) == 2  # an hourly rate is nowhere near the spine
    assert catalogue.scp_for_salary("2025-26", 90_000) == 43
    assert catalogue.scp_for_salary("2026-27", 20_000) == 3  # SCP 2 is gone from April 2026


def test_salary_range_skips_deleted_points_and_refuses_nonsense():
    s = catalogue.spine("2026-27")
    assert catalogue.salary_range("2026-27", 3, 6) == (s[3], s[6])
    assert catalogue.salary_range("2026-27", 1, 6) == (s[3], s[6])
    assert catalogue.salary_range("2024-25", 2, 2) == (catalogue.spine("2024-25")[2],) * 2
    with pytest.raises(ValueError, match="no point of SCP 1-2 is on the 2026-27 spine"):
        catalogue.salary_range("2026-27", 1, 2)
    with pytest.raises(ValueError, match="runs backwards"):
        catalogue.salary_range("2025-26", 9, 6)
    with pytest.raises(ValueError, match="no pay year"):
        catalogue.salary_range("2030-31", 3, 6)


# --- the warehouse ----------------------------------------------------------------------------------


def _seed_rows(name: str) -> list[dict]:
    with open(settings.seeds_dir() / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_reference_refresh_loads_both_seeds_typed_and_their_tests_pass(reference_warehouse):
    with connect(reference_warehouse) as conn:
        roles = conn.execute(
            "select count(*), pg_typeof(min(typical_scp_min))::text from reference.pay_roles"
        ).fetchone()
        spine = dict(conn.execute("select pay_year, count(*) from reference.pay_spine group by 1").fetchall())
        salary = conn.execute(
            "select annual_salary, pg_typeof(annual_salary)::text from reference.pay_spine"
            " where pay_year = '2025-26' and scp = 2"
        ).fetchone()
    assert roles == (len(_seed_rows("pay_roles.csv")), "integer")
    assert spine == {"2023-24": 43, "2024-25": 42, "2025-26": 42, "2026-27": 41}
    assert (float(salary[0]), salary[1]) == (24_413.0, "numeric")
    result = run_dbt(reference_warehouse, ["test", "--select", "pay_roles", "pay_spine"], raise_on_failure=False)
    tests = [n for n in result.nodes if n["node"].startswith("test.")]
    assert len(tests) >= 15 and all(n["status"] == "pass" for n in tests), tests
