"""The Pay benchmarks page (explorer/views/pay.py) on a small pay warehouse of its own
(hand-written deposits through tests/pay_warehouse.py, GOV.UK's gender pay gap for
2024-25 from the committed fixture through the real public-source lifecycle, the pay
marts and the groups' memberships built by dbt): through streamlit.testing's AppTest,
the figures shown are the mart's as the analyst reads it (SQL of the test's own), a
suppressed row says why and shows no salary, the CSV download is the rows shown, an
unknown address falls back with a warning, and a warehouse without pay says so.

The page script is opened directly (app.py's navigation is the frame, not the page). Its
download is deferred (built when clicked): the test records the callable the page hands
to Streamlit's media file manager and calls it, as the server does on a click."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from councilbench.core import settings
from councilbench.dev.public_server import SourceServer
from councilbench.explorer import pay as pay_page
from councilbench.explorer import server
from councilbench.ingest.fetch import RetryPolicy
from councilbench.pay import catalogue
from councilbench.public import gender_pay_gap as gpg
from councilbench.public.gender_pay_gap_load import refresh_year
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt

# the tests' deposit helper and module warehouses (tests/ is on the path: conftest.py's folder)
from pay_warehouse import PAY_YEAR, Post, build_pay, deposit
from warehouse_copy import warehouse_copy

PAGE = str(Path(server.APP).parent / "views" / "pay.py")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "public" / "gpg"
END = "Source: marts.mart_pay_benchmark and mart_pay_gender_gap."
EMPTY = "No council's pay data is loaded yet"
EARLIER_YEAR, GAP_YEAR = "2024-25", "2024-25"
METS = ["E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030", "E08000031"]
TEN = [*METS, "E06000019", "E06000020", "E06000021"]
CSW = "partnership:coventry-solihull-warwickshire"
MET_TIER = "tier:metropolitan_borough"
STATS = ["p10_salary", "lower_quartile_salary", "median_salary", "upper_quartile_salary", "p90_salary"]
SHOWN = ["P10", "Lower quartile", "Median", "Upper quartile", "P90"]
FAST = RetryPolicy(attempts=3, backoff_seconds=0.05, connect_timeout=2, read_timeout=2)


def deposits() -> dict[str, list[Post]]:
    """Finance roles for every story the page tells, and one HR role (a second family)."""
    posts: dict[str, list[Post]] = {}

    def add(code: str, *new: Post) -> None:
        posts.setdefault(code, []).extend(new)

    for i, code in enumerate(TEN):  # ten councils: P10 and P90 in the region
        add(code, Post("accountant", 38_000 + 517 * i, fte="0.6"), Post("accountant", 41_000 + 233 * (i % 3), 2))
    for i, code in enumerate(METS[:6]):  # six: quartiles only
        add(code, Post("finance_officer", 27_000 + 300 * i))
    for i, code in enumerate(METS[:3]):  # three: too few councils, and each a third of the staff
        add(code, Post("payroll_officer", 25_000 + 300 * i, headcount=2))
    for code, headcount in zip(METS[:5], (7, 1, 1, 1, 1), strict=True):  # one council holds 64%
        add(code, Post("internal_auditor", 33_000 + 100 * headcount, headcount=headcount))
    for i, code in enumerate(METS[:5]):
        add(code, Post("hr_adviser", 33_000 + 410 * i))
    return posts


@pytest.fixture(scope="module")
def pay_env(reference_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    (folder / "gpg").mkdir()
    for path in FIXTURES.iterdir():
        (folder / "gpg" / path.name).write_bytes(path.read_bytes())
    with warehouse_copy(reference_template, "pay_page") as warehouse, pytest.MonkeyPatch.context() as mp:
        for code, posts in deposits().items():
            deposit(warehouse, code, posts)
        for code in METS[:5]:
            deposit(warehouse, code, [Post("accountant", 36_000)], pay_year=EARLIER_YEAR)
        with SourceServer(folder) as source:
            mp.setenv(gpg.URL_ENV, source.gpg_url)
            loaded = refresh_year(warehouse, GAP_YEAR, policy=FAST)
        assert loaded.status == "loaded", loaded.message
        build_pay(warehouse)
        run_dbt(warehouse, ["run", "--select", "mart_comparison_groups", "dim_partnership_group"])
        mp.setenv("WAREHOUSE_URL", warehouse.url)
        yield warehouse


def open_pay(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def rendered(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[-1].value.startswith(END)


def mart(warehouse, where: str, params=()) -> list[dict]:
    """mart_pay_benchmark's rows as the analyst reads them."""
    with connect(warehouse, role="analyst") as conn:
        cur = conn.execute(f"select * from marts.mart_pay_benchmark where {where}", params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def pounds(value) -> str:
    return "–" if value is None else f"£{value:,}"


def status(row: dict) -> str:
    if row["is_suppressed"]:
        return f"Suppressed: {row['suppression_reason']}"
    return "Published" if row["p10_salary"] is not None else "Published (P10 and P90 need 10 councils)"


def assert_table_is(table, rows: list[dict], label: str) -> None:
    """The page's statistics table, row for row, is the mart's rows."""
    assert list(table[table.columns[0]]) == [r[label] for r in rows]
    assert list(table["Councils"]) == [f"{r['councils']} of {r['group_councils']}" for r in rows]
    assert list(table["Incumbents"]) == [r["incumbents"] for r in rows]
    for column, name in zip(STATS, SHOWN, strict=True):
        assert list(table[name]) == [pounds(r[column]) for r in rows], name
    assert list(table["Status"]) == [status(r) for r in rows]


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


# --- what the page shows ---------------------------------------------------------------------


def test_the_figures_shown_are_the_marts(pay_env):
    at = open_pay(role="accountant", group="region", year=PAY_YEAR)
    rendered(at)
    (row,) = mart(pay_env, "pay_year = %s and role_id = 'accountant' and group_id = 'region'", (PAY_YEAR,))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Councils contributing": f"{row['councils']} of {row['group_councils']}",
        "Incumbents": str(row["incumbents"]),
        "Median FTE salary": pounds(row["median_salary"]),
    }
    scp = catalogue.scp_for_salary(PAY_YEAR, row["median_salary"])
    assert f"the median nearest SCP {scp} ({pounds(round(catalogue.spine(PAY_YEAR)[scp]))})" in markdown(at)

    # the roles of the family in the group: published, quartiles only, and two suppressed
    family = mart(pay_env, "pay_year = %s and group_id = 'region' and job_family = 'Finance'", (PAY_YEAR,))
    family.sort(key=lambda r: r["role_name"])
    assert {status(r).split(":")[0] for r in family} == {
        "Published",
        "Published (P10 and P90 need 10 councils)",
        "Suppressed",
    }
    assert_table_is(at.dataframe[0].value, family, "role_name")

    # the role in every group that has it: the refused partnership says so
    at.radio(key="pay_view").set_value("groups").run()
    rendered(at)
    order = list(pay_page.GROUP_TYPES)
    groups = sorted(
        mart(pay_env, "pay_year = %s and role_id = 'accountant'", (PAY_YEAR,)),
        key=lambda r: (order.index(r["group_type"]), r["group_label"]),
    )
    assert [r["group_id"] for r in groups] == ["region", MET_TIER, "tier:unitary", CSW, "partnership:west-midlands"]
    assert_table_is(at.dataframe[0].value, groups, "group_label")
    assert dict(at.query_params) == {"role": "accountant", "group": "region", "year": PAY_YEAR}


def test_a_suppressed_statistic_says_why_and_shows_no_salary(pay_env):
    at = open_pay(role="payroll_officer", group=MET_TIER)
    rendered(at)
    (row,) = mart(pay_env, "pay_year = %s and role_id = 'payroll_officer' and group_id = %s", (PAY_YEAR, MET_TIER))
    assert row["suppression_reason"] == (
        "fewer than 5 councils (3); one council holds 33% of the incumbents (more than 25%)"
    )
    assert at.info[0].value == f"No salaries are published for this role in this group: {row['suppression_reason']}."
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Median FTE salary"] == "Suppressed" and "£" not in "".join(metrics.values())
    assert "NJC pay spine" not in markdown(at)
    table = at.dataframe[0].value.set_index("Role")
    for role, reason in [
        ("Payroll officer", row["suppression_reason"]),
        ("Internal auditor", "one council holds 64% of the incumbents (more than 25%)"),
    ]:
        assert list(table.loc[role, SHOWN]) == ["–"] * 5
        assert table.loc[role, "Status"] == f"Suppressed: {reason}"

    refused = open_pay(role="accountant", group=CSW)
    rendered(refused)
    assert refused.info[0].value.endswith("a comparison group of fewer than 5 councils (3) is refused.")
    assert refused.selectbox(key="pay_group_type").value == "partnership"


def test_the_rules_in_words_are_the_settings(pay_env, monkeypatch):
    t = settings.pay_thresholds()
    text = markdown(open_pay())
    assert (
        f"at least {t.min_councils} councils and {t.min_incumbents} staff in post (incumbents) contribute, and no "
        f"single council holds more than {t.max_council_share * 100:g}% of those staff; P10 and P90 only when at "
        "least 10 councils contribute" in text
    )
    assert "rounded to the nearest £10" in text
    monkeypatch.setenv("COUNCILBENCH_PAY_MIN_INCUMBENTS", "7")
    assert "at least 5 councils and 7 staff in post" in markdown(open_pay())


def test_the_gender_pay_gap_of_the_groups_councils_is_beside_the_figures(pay_env):
    at = open_pay(role="accountant", group=MET_TIER)
    rendered(at)
    assert at.selectbox(key="pay_gap_year").value == GAP_YEAR
    with connect(pay_env, role="analyst") as conn:
        gaps = conn.execute(
            "select council_name, median_hourly_gap_pct, mean_hourly_gap_pct, female_top_quartile_pct "
            "from marts.mart_pay_gender_gap where council_code = any(%s) and reporting_year = %s order by 1",
            (METS, GAP_YEAR),
        ).fetchall()
    shown = at.dataframe[1].value
    assert len(gaps) == 7 and all(g[1] is not None for g in gaps)
    assert [tuple(r) for r in shown[["Council", "Median gap", "Mean gap", "Women in the top-paid quarter"]].values] == [
        (name, *(f"{float(v):.1f}%" for v in values)) for name, *values in gaps
    ]

    region = open_pay(role="accountant", group="region").dataframe[1].value.set_index("Council")
    assert len(region) == 33
    malvern = region.loc["Malvern Hills District Council"]
    assert malvern["Median gap"] == "–" and "is not in this year's download" in malvern["Note"]


# --- the download ----------------------------------------------------------------------------


@pytest.fixture
def deferred(monkeypatch) -> dict:
    """file id -> the callable a deferred download button registered."""
    registered = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, *args, **kwargs):
        file_id = original(self, data_callable, *args, **kwargs)
        registered[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return registered


def downloaded(at, deferred: dict) -> list[dict]:
    (button,) = at.get("download_button")
    return list(csv.DictReader(io.StringIO(deferred[button.proto.deferred_file_id]().decode("utf-8"))))


def test_the_download_is_the_rows_shown(pay_env, deferred):
    at = open_pay(role="internal_auditor", group=MET_TIER)
    rendered(at)
    for view, label in [("roles", "role_name"), ("groups", "group_label")]:
        at.radio(key="pay_view").set_value(view).run()
        rendered(at)
        shown = at.dataframe[0].value
        rows = downloaded(at, deferred)
        assert [r[label] for r in rows] == list(shown[shown.columns[0]]), view
        where = "pay_year = %s and " + (
            "group_id = %s and job_family = 'Finance'" if view == "roles" else "role_id = %s"
        )
        key = MET_TIER if view == "roles" else "internal_auditor"
        expected = {r["group_id"] + "|" + r["role_id"]: r for r in mart(pay_env, where, (PAY_YEAR, key))}
        assert len(rows) == len(expected)
        for row in rows:
            want = expected[row["group_id"] + "|" + row["role_id"]]
            assert list(row) == list(want)  # every column of the mart, in its order
            assert row == {
                c: "" if v is None else ("t" if v else "f") if isinstance(v, bool) else str(v) for c, v in want.items()
            }
        suppressed = [r for r in rows if r["is_suppressed"] == "t"]
        assert suppressed and all(r[c] == "" for r in suppressed for c in STATS)


# --- the address ------------------------------------------------------------------------------


def test_an_unknown_address_falls_back_with_a_warning(pay_env):
    at = open_pay(role="x'; drop table marts.mart_pay_benchmark; --", group="tier:nowhere", year="1999-00")
    rendered(at)
    warnings = [w.value for w in at.warning]
    assert "pay year with no statistics. Accepted: 2025-26, 2024-25" in warnings[0]
    assert "not in the role catalogue" in warnings[1] and "Showing Accountant instead" in warnings[1]
    assert "comparison group that is not known here" in warnings[2]
    assert dict(at.query_params) == {"role": "accountant", "group": "region", "year": PAY_YEAR}
    assert mart(pay_env, "true")  # still there

    # a catalogue role no council deposited that year, and a group with none of its councils in the role
    at = open_pay(role="hr_adviser", group="tier:county", year=EARLIER_YEAR)
    rendered(at)
    warnings = [w.value for w in at.warning]
    assert warnings[0].startswith(f"HR adviser has no statistics in {EARLIER_YEAR}: no council deposited it.")
    assert warnings[1].startswith("The group tier:county has no statistics for Accountant in 2024-25")
    assert at.selectbox(key="pay_role").value == "accountant" and at.selectbox(key="pay_group").value == "region"


def test_choosing_a_family_and_a_group_type_updates_the_address(pay_env):
    at = open_pay(role="accountant")
    rendered(at)
    at.selectbox(key="pay_family").set_value("HR").run()
    rendered(at)
    assert at.selectbox(key="pay_role").value == "hr_adviser" and not at.warning
    assert at.query_params["role"] == "hr_adviser"
    at.selectbox(key="pay_group_type").set_value("tier").run()
    rendered(at)
    assert at.selectbox(key="pay_group").value == MET_TIER and at.query_params["group"] == MET_TIER
    (row,) = mart(pay_env, "pay_year = %s and role_id = 'hr_adviser' and group_id = %s", (PAY_YEAR, MET_TIER))
    assert {m.label: m.value for m in at.metric}["Median FTE salary"] == pounds(row["median_salary"])


# --- before any pay ---------------------------------------------------------------------------


def test_a_warehouse_without_pay_says_so(reference_template, monkeypatch):
    with warehouse_copy(reference_template, "pay_page_empty") as warehouse:
        monkeypatch.setenv("WAREHOUSE_URL", warehouse.url)
        assert_empty(open_pay())  # no pay marts yet
        build_pay(warehouse)
        run_dbt(warehouse, ["run", "--select", "mart_comparison_groups", "dim_partnership_group"])
        assert mart(warehouse, "true") == []
        st.cache_data.clear()  # as when the page's cached answers expire after a build
        assert_empty(open_pay(role="accountant"))


def assert_empty(at) -> None:
    rendered(at)
    assert EMPTY in at.info[0].value
    assert not at.dataframe and not at.metric and not at.get("download_button") and not at.selectbox
