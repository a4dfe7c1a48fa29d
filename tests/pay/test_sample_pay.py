"""Sample pay deposits: every council's file reads back to its truth, salaries sit on the
pay year's spine inside each post's SCP range, the same seed gives the same bytes, the
sizes are what the issue asks for, and each named fault does what it says."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import re
from collections import Counter

import openpyxl
import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_cli
from councilbench.dev import sample_pay as sp
from councilbench.pay.catalogue import pay_years, roles, spine

YEAR = "2025-26"
SCALE = 0.01  # about 2,000 posts over the 33 councils
CANONICAL = ("council_code", "pay_year", "post_id", "job_title", "role_id", "grade", "scp_min", "scp_max",
             "fte_salary", "fte", "headcount", "allowances", "market_supplement", "contract_type")  # fmt: skip
CONTRACTS = {"permanent", "fixed_term", "casual", "apprentice"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return sp.write(tmp_path_factory.mktemp("pay"), YEAR, scale=SCALE)


def read_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV deposit as (columns, rows keyed by column): headers compared lower case with
    '_' for spaces, as the deposit's reader compares them."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def money(text: str) -> float:
    return float(text.replace("£", "").replace(",", "")) if text else 0.0


def fault_rows(code: str, fault: str) -> tuple[list[dict], list[dict], sp.Draft]:
    """The clean file's rows, the faulted file's rows, and the faulted draft."""
    clean, _ = sp.build(code, YEAR, scale=SCALE)
    faulted, draft = sp.build(code, YEAR, [fault], scale=SCALE)
    return read_rows(clean)[1], read_rows(faulted)[1], draft


# --- determinism and sizes ----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_ones(tmp_path):
    councils = ["birmingham", "worcestershire", "tamworth"]
    first = sp.write(tmp_path / "a", YEAR, councils, scale=SCALE)
    again = sp.write(tmp_path / "b", YEAR, councils, scale=SCALE, faults={"tamworth": ["ni_numbers"]})
    other = sp.write(tmp_path / "c", YEAR, councils, seed=16, scale=SCALE)
    assert [p.read_bytes() for p in first.paths[:2]] == [p.read_bytes() for p in again.paths[:2]]
    assert all(a.read_bytes() != b.read_bytes() for a, b in zip(first.paths, other.paths, strict=True))
    assert sp.build("E07000199", YEAR, ["ni_numbers"], scale=SCALE)[0] == again.paths[2].read_bytes()
    xlsx = [sp.build("E07000199", YEAR, scale=SCALE, xlsx=True)[0] for _ in range(2)]
    assert xlsx[0] == xlsx[1]
    assert [p.relative_to(tmp_path / "a").as_posix() for p in first.paths] == [
        "birmingham/pay-2025-26.csv", "worcestershire/pay-2025-26.csv", "tamworth/pay-2025-26.csv"
    ]  # fmt: skip


def test_about_200000_posts_at_scale_one_counties_and_boroughs_large_districts_small():
    posts = sp.expected_posts(1.0)
    tiers = {code: c.tier for code, c in catalogue.councils().items()}
    assert len(posts) == 33 and 190_000 <= sum(posts.values()) <= 210_000
    assert max(posts, key=posts.get) == "E08000025"  # Birmingham
    assert all(n >= 4_000 for code, n in posts.items() if tiers[code] in ("county", "metropolitan_borough"))
    assert all(300 <= n <= 1_000 for code, n in posts.items() if tiers[code] == "district")
    # The count is exact: a council's establishment at scale 1.0 has that many posts.
    assert len(sp.establishment("E07000199", scale=1.0)) == posts["E07000199"]
    assert sp.expected_posts(0.0001)["E07000199"] == sp.MIN_POSTS


def test_scale_one_has_more_incumbents_than_posts_and_a_few_big_posts():
    posts = sp.establishment("E10000034", scale=1.0)  # Worcestershire County Council
    headcounts = Counter(x.headcount for x in posts)
    assert 1.1 < sum(x.headcount for x in posts) / len(posts) < 1.5
    assert headcounts[1] / len(posts) > 0.85 and max(headcounts) >= 10


# --- every file reads back to its truth, on the spine ---------------------------------------------


def test_every_file_reads_back_to_the_posts_its_truth_holds(sample):
    assert len(sample.files) == 33 and sample.post_count == sum(sp.expected_posts(SCALE).values())
    for f in sample.files:
        header, rows = read_rows(f.path.read_bytes())
        assert sorted(header) == sorted(CANONICAL), f.path
        assert len(rows) == len(f.posts)
        council = catalogue.councils()[f.council_code]
        for row, post in zip(rows, f.posts, strict=True):
            assert row["council_code"] in (council.code, council.name)
            assert (row["pay_year"], row["post_id"], row["job_title"], row["role_id"], row["grade"]) == (
                post.pay_year, post.post_id, post.job_title, post.role_id, post.grade
            )  # fmt: skip
            assert (int(row["scp_min"]), int(row["scp_max"]), int(row["headcount"])) == (
                post.scp_min, post.scp_max, post.headcount
            )  # fmt: skip
            assert money(row["fte_salary"]) == post.fte_salary and float(row["fte"]) == post.fte
            assert money(row["allowances"]) == post.allowances
            assert money(row["market_supplement"]) == post.market_supplement
            assert row["contract_type"].lower().replace(" ", "_") == post.contract_type


def test_salaries_are_the_pay_years_spine_inside_each_posts_scp_range(sample):
    points = spine(YEAR)
    catalogue_roles = roles()
    for f in sample.files:
        tier = catalogue.councils()[f.council_code].tier
        assert len({x.post_id for x in f.posts}) == len(f.posts)
        for post in f.posts:
            assert post.scp_min <= post.scp <= post.scp_max and {post.scp_min, post.scp_max} <= set(points)
            assert post.fte_salary == points[post.scp]
            assert 0 < post.fte <= 1 and post.headcount >= 1 and post.contract_type in CONTRACTS
            assert post.role_id in catalogue_roles and sp.employs(catalogue_roles[post.role_id], tier)
            assert post.allowances >= 0 and post.market_supplement >= 0


def test_a_post_moves_up_its_grade_year_by_year_and_never_sits_on_a_deleted_point():
    code = "E08000026"  # Coventry
    by_year = {year: {x.post_id: x for x in sp.council_posts(code, year, scale=SCALE)} for year in pay_years()}
    assert all(by_year[y].keys() == by_year["2023-24"].keys() for y in pay_years())
    for before, after in itertools.pairwise(pay_years()):
        for post_id, post in by_year[after].items():
            earlier = by_year[before][post_id]
            assert post.fte_salary > earlier.fte_salary and post.scp >= earlier.scp
    assert min(x.scp_min for x in by_year["2024-25"].values()) >= 2
    assert min(x.scp_min for x in by_year["2026-27"].values()) >= 3
    bands = sp.year_bands(sp.profile(code), "2026-27")
    assert bands[0].scp_min == 3 and all(b.scp_min <= b.scp_max for b in bands)


def test_the_sample_looks_like_councils_pay(sample):
    posts = [x for f in sample.files for x in f.posts]
    by_tier = {tier: Counter() for tier in catalogue.TIERS}
    for f in sample.files:
        by_tier[catalogue.councils()[f.council_code].tier].update(x.role_id for x in f.posts)
    assert by_tier["district"]["childrens_social_worker"] == 0 and by_tier["county"]["refuse_loader"] == 0
    assert by_tier["county"]["teaching_assistant"] > 0 and by_tier["district"]["refuse_loader"] > 0
    supplements = {x.role_id for x in posts if x.market_supplement}
    assert supplements <= set(sp.HARD_TO_FILL) and "childrens_social_worker" in supplements
    share = lambda test: sum(map(test, posts)) / len(posts)  # noqa: E731
    assert 0.15 < share(lambda x: x.fte < 1) < 0.45
    assert 0.02 < share(lambda x: x.headcount > 1) < 0.15
    assert 0.04 < share(lambda x: x.allowances > 0) < 0.25
    assert 0.8 < share(lambda x: x.contract_type == "permanent") < 0.97
    titles = {x.job_title for x in posts}
    assert any(t.isupper() for t in titles) and any(" - " in t or "(" in t for t in titles)
    files = [f.path.read_text(encoding="utf-8-sig") for f in sample.files]
    assert any("£" in text for text in files) and any(re.search(r'"\d{2},\d{3}"', text) for text in files)
    assert any(text.startswith(("post_id", "POST_ID")) for text in files)
    assert any("Council," in text for text in files)  # a council writes its name, not its code


def test_xlsx_holds_the_same_posts_with_numbers_as_numbers(tmp_path):
    written = sp.write(tmp_path, YEAR, ["dudley"], scale=SCALE, xlsx=True)
    f = written.files[0]
    assert f.path.name == "pay-2025-26.xlsx"
    ws = openpyxl.load_workbook(f.path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h).lower().replace(" ", "_") for h in rows[0]]
    assert sorted(header) == sorted(CANONICAL) and len(rows) - 1 == len(f.posts)
    cells = dict(zip(header, rows[1], strict=True))
    assert cells["post_id"] == f.posts[0].post_id and cells["fte_salary"] == f.posts[0].fte_salary
    assert isinstance(cells["fte_salary"], int | float) and isinstance(cells["scp_max"], int)


# --- faults ------------------------------------------------------------------------------------


def test_every_fault_is_named_described_and_rejected():
    assert set(sp.FAULTS) >= {
        "employee_names", "ni_numbers", "dates_of_birth", "employee_numbers", "hourly_rates", "monthly_salaries",
        "fte_as_hours", "fte_above_one", "headcount_zero", "unknown_role_id", "missing_role_id",
        "duplicate_post_ids", "salary_outside_range", "other_council",
    }  # fmt: skip
    assert all(f.description and f.checks and f.outcome == "rejected" for f in sp.FAULTS.values())
    with pytest.raises(KeyError, match="unknown fault"):
        sp.build("E08000027", YEAR, ["no_such_fault"], scale=SCALE)


PERSONAL = {
    "employee_names": ("employee_name", re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+$")),
    "ni_numbers": ("ni_number", re.compile(r"^(?![DFIQUV])[A-Z](?![DFIOQUV])[A-Z]\d{6}[A-D]$")),
    "dates_of_birth": ("date_of_birth", re.compile(r"^\d{2}/\d{2}/\d{4}$")),
    "employee_numbers": ("employee_number", re.compile(r"^\d{7}$")),
}


@pytest.mark.parametrize("fault", sorted(PERSONAL))
def test_a_personal_data_fault_adds_a_column_about_the_post_holders(fault):
    clean, rows, draft = fault_rows("E08000027", fault)  # Dudley
    column, pattern = PERSONAL[fault]
    assert all(pattern.match(row[column]) for row in rows)
    assert [{k: v for k, v in row.items() if k != column} for row in rows] == clean
    if fault == "dates_of_birth":
        april = dt.date(2025, 4, 1)
        ages = [(april - dt.datetime.strptime(row[column], "%d/%m/%Y").date()).days / 365.25 for row in rows]
        assert min(ages) >= 18 and max(ages) <= 66
    if fault == "employee_numbers":
        assert len({row[column] for row in rows}) == len(rows)
    assert draft.touched[fault] == list(range(len(rows)))


def test_hourly_rates_and_monthly_salaries_fill_the_annual_column():
    clean, hourly, _ = fault_rows("E08000031", "hourly_rates")  # Wolverhampton
    _, monthly, _ = fault_rows("E08000031", "monthly_salaries")
    for c, h, m in zip(clean, hourly, monthly, strict=True):
        annual = money(c["fte_salary"])
        assert money(h["fte_salary"]) == pytest.approx(annual / (52.143 * 37), abs=0.01) and money(h["fte_salary"]) < 40
        assert money(m["fte_salary"]) == pytest.approx(annual / 12, abs=0.01) and money(m["fte_salary"]) < 5_000


def test_fte_as_hours_writes_weekly_hours():
    clean, rows, _ = fault_rows("E07000192", "fte_as_hours")  # Cannock Chase
    hours = [float(r["fte"]) for r in rows]
    assert hours == [pytest.approx(float(c["fte"]) * 37, abs=0.01) for c in clean]
    assert Counter(hours).most_common(1)[0][0] == 37


def _changed(clean: list[dict], rows: list[dict]) -> dict[int, set[str]]:
    """Index -> the columns that differ, for the rows a fault changed."""
    out = {}
    for i, (c, r) in enumerate(zip(clean, rows, strict=True)):
        columns = {k for k in c if c[k] != r[k]}
        if columns:
            out[i] = columns
    return out


@pytest.mark.parametrize(
    ("fault", "count", "column"),
    [("fte_above_one", 3, "fte"), ("headcount_zero", 3, "headcount"), ("salary_outside_range", 3, "fte_salary"),
     ("unknown_role_id", 3, "role_id"), ("duplicate_post_ids", 3, "post_id")],
)  # fmt: skip
def test_a_row_fault_changes_just_its_rows_as_it_says(fault, count, column):
    code = "E10000031"  # Warwickshire
    clean, rows, draft = fault_rows(code, fault)
    changed = _changed(clean, rows)
    assert sorted(changed) == draft.touched[fault] and len(changed) == count
    assert all(columns == {column} for columns in changed.values())
    points = spine(YEAR)
    for i in changed:
        post = draft.posts[i]
        if fault == "fte_above_one":
            assert float(rows[i]["fte"]) > 1
        elif fault == "headcount_zero":
            assert rows[i]["headcount"] == "0"
        elif fault == "salary_outside_range":
            assert money(rows[i]["fte_salary"]) >= points[post.scp_max] + 3_000
        elif fault == "unknown_role_id":
            assert rows[i]["role_id"] and rows[i]["role_id"] not in roles()
        else:
            assert rows[i]["post_id"] == rows[i - 1]["post_id"]
    ids = [r["post_id"] for r in rows]
    assert len(ids) - len(set(ids)) == (3 if fault == "duplicate_post_ids" else 0)


def test_missing_role_id_leaves_a_job_title_the_catalogue_knows():
    clean, rows, draft = fault_rows("E07000234", "missing_role_id")  # Bromsgrove
    changed = _changed(clean, rows)
    assert len(changed) == 5 and all(columns <= {"role_id", "job_title"} for columns in changed.values())
    for i in changed:
        assert rows[i]["role_id"] == ""
        assert rows[i]["job_title"] in roles()[draft.posts[i].role_id].synonyms


def test_another_councils_file_and_last_years_file():
    _, rows, draft = fault_rows("E08000027", "other_council")
    other = sp.other_council_for("E08000027")
    assert draft.body == other != "E08000027"
    assert [r["post_id"] for r in rows] == [x.post_id for x in sp.council_posts(other, YEAR, scale=SCALE)]
    assert {r["council_code"] for r in rows} <= {other, catalogue.councils()[other].name}
    _, rows, draft = fault_rows("E08000027", "previous_pay_year")
    assert {r["pay_year"] for r in rows} == {"2024-25"}
    assert {money(r["fte_salary"]) for r in rows} <= set(spine("2024-25").values())
    with pytest.raises(ValueError, match="no pay year before 2023-24"):
        sp.build("E08000027", "2023-24", ["previous_pay_year"], scale=SCALE)


def test_the_truth_file_names_each_post_and_the_faults_on_its_row(tmp_path):
    written = sp.write(tmp_path, YEAR, ["tamworth", "dudley"], faults={"tamworth": ["headcount_zero"]}, scale=SCALE)
    with open(written.write_truth(tmp_path / "truth.csv"), encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    assert len(truth) == written.post_count
    faulted = [t for t in truth if t["faults"]]
    assert {t["faults"] for t in faulted} == {"headcount_zero"} and len(faulted) == 3
    assert {(t["file"], int(t["row"])) for t in faulted} == {
        ("tamworth/pay-2025-26.csv", row) for row in written.files[0].rows_touched("headcount_zero")
    }
    assert truth[0]["headcount"] != "0"  # the truth keeps the post's real headcount


# --- the command -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="councilbench")
    sample_cli.add_pay_command(p.add_subparsers(dest="command", required=True))
    return p


def test_sample_pay_command_writes_the_files_and_the_truth(tmp_path, capsys):
    args = _parser().parse_args(
        ["sample-pay", "--year", YEAR, "--out", str(tmp_path), "--council", "tamworth", "--fault",
         "dudley:hourly_rates", "--scale", "0.01"]
    )  # fmt: skip
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "tamworth" / "pay-2025-26.csv").exists() and (tmp_path / "dudley" / "pay-2025-26.csv").exists()
    assert (tmp_path / "pay-truth-2025-26.csv").exists()
    assert "fault: " in out and "hourly_rates (rejected)" in out and "wrote 2 pay deposits for 2025-26" in out
    listed = _parser().parse_args(["sample-pay", "--list-faults"])
    assert listed.func(listed) == 0
    table = capsys.readouterr().out
    assert all(name in table for name in sp.FAULTS)
    bad = _parser().parse_args(["sample-pay", "--year", YEAR, "--out", str(tmp_path), "--fault", "dudley:nope"])
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        bad.func(bad)
    unknown_year = _parser().parse_args(["sample-pay", "--year", "2031-32", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="no pay year 2031-32"):
        unknown_year.func(unknown_year)
