"""The Pooled spend page (explorer/views/spend.py) on the shared spend warehouse (a quarter
of sample spend for both partnership groups, spend marts built): through streamlit.testing's
AppTest, the figures it shows for the Tri-Council and then Coventry - Solihull - Warwickshire
are the marts' (read here by SQL of the test's own), each table's CSV download is the mart's
rows for the group and year, and a warehouse with no spend says so; in headless Chromium,
the real app (councilbench.explorer.server) shows the page and downloads a CSV.

The page's downloads are deferred (built when clicked): the AppTest tests record the
callables the page hands to Streamlit's media file manager and call them, as the server
does on a click."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from pathlib import Path

import pytest
import streamlit as st
from selenium.webdriver.common.by import By
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from councilbench.dev.bench import browser
from councilbench.explorer import server
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt
from warehouse_copy import warehouse_copy

YEAR = "2025-26"
TRI = "tri-council"
CSW = "coventry-solihull-warwickshire"
END = "Source: marts.mart_spend_by_category_year"
EMPTY = "No council's spend is loaded yet"
#: The page's downloads: button key -> the mart whose rows it holds.
DOWNLOADS = {
    "by-category": "mart_spend_by_category_year",
    "opportunities": "mart_spend_opportunities",
    "shared-suppliers": "mart_spend_shared_suppliers",
    "quality": "mart_spend_quality",
}


# --- the app and the marts, as the test reads them -----------------------------------------------


@pytest.fixture(scope="module")
def spend_env(spend_warehouse):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_URL", spend_warehouse.url)
        yield spend_warehouse


def open_spend(**query) -> AppTest:
    at = AppTest.from_file(str(server.APP), default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(str(Path(server.APP).parent / "views" / "spend.py"))
    return at.run()


def rendered(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[-1].value.startswith(END)


def sql(warehouse, query: str, params=()) -> list[dict]:
    with connect(warehouse) as conn:
        cur = conn.execute(query, params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def members(warehouse, group_id: str) -> dict[str, str]:
    """council_code -> the page's short name (Staffordshire County Council -> Staffordshire)."""
    from councilbench.reports import format as fmt

    rows = sql(
        warehouse, "select council_code, council_name from marts.dim_partnership_group where group_id = %s", (group_id,)
    )
    return {r["council_code"]: fmt.display_name(r["council_name"]) for r in rows}


def pounds(value) -> str:
    return f"£{Decimal(value):,.0f}"


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


def download(at, deferred: dict, key: str) -> bytes:
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(f"-csv_{key}")]
    return deferred[button.proto.deferred_file_id]()


# --- what the page shows --------------------------------------------------------------------------


def assert_group_figures(at, warehouse, group_id: str) -> None:
    """Every figure the page shows for the group is the marts'."""
    names = members(warehouse, group_id)
    per_council = sql(
        warehouse,
        "select council_code, sum(net_amount) as spend, max(periods_loaded) as periods "
        "from marts.mart_spend_by_category_year where council_code = any(%s) and financial_year = %s "
        "group by council_code order by spend desc",
        (list(names), YEAR),
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Combined spend"] == pounds(sum(r["spend"] for r in per_council))
    assert metrics["Councils with spend loaded"] == f"{len(per_council)} of {len(names)}"
    councils = at.dataframe[0].value
    assert list(councils["Council"]) == [names[r["council_code"]] for r in per_council]  # the largest first
    assert list(councils["Spend"]) == [pounds(r["spend"]) for r in per_council]
    assert list(councils["Periods loaded"]) == [f"{r['periods']} of 12 months" for r in per_council]

    opps = sql(
        warehouse,
        "select * from marts.mart_spend_opportunities where group_id = %s and financial_year = %s "
        "order by opportunity_rank, proclass_level2 limit 10",
        (group_id, YEAR),
    )
    shown = at.dataframe[2].value
    top, first = opps[0], shown.iloc[0]
    assert (first["Rank"], first["Category"], first["Heading"]) == (1, top["proclass_level2"], top["proclass_level1"])
    assert first["Combined spend"] == pounds(top["combined_net_amount"])
    assert first["Savings range"] == f"{pounds(top['savings_low'])} to {pounds(top['savings_high'])}"
    assert first["Councils buying"] == f"{top['councils_buying']} of {len(names)}"
    assert list(shown["Category"]) == [o["proclass_level2"] for o in opps]
    # the rates used are stated, as the mart has them
    rates = (
        f"{float(top['savings_rate_low']) * 100:g}% to {float(top['savings_rate_high']) * 100:g}% of the combined spend"
    )
    assert any(rates in m.value for m in at.markdown)

    suppliers = sql(
        warehouse,
        "select supplier_id, supplier_name, council_code, net_amount, group_net_amount from marts.mart_spend_shared_suppliers "
        "where group_id = %s and financial_year = %s order by group_net_amount desc, supplier_name",
        (group_id, YEAR),
    )
    table = at.dataframe[3].value
    lead = table.iloc[0]
    assert (lead["Supplier"], lead["Group spend"]) == (
        suppliers[0]["supplier_name"],
        pounds(suppliers[0]["group_net_amount"]),
    )
    for row in suppliers:
        if row["supplier_id"] == suppliers[0]["supplier_id"]:
            assert lead[names[row["council_code"]]] == pounds(row["net_amount"])

    quality = sql(
        warehouse,
        "select council_code, count(*) as due, count(*) filter (where file_status = 'loaded') as loaded, "
        "count(*) filter (where file_status = 'missing') as missing from marts.mart_spend_quality "
        "where council_code = any(%s) and financial_year = %s group by council_code",
        (list(names), YEAR),
    )
    checked = at.dataframe[4].value.set_index("Council")
    assert len(checked) == len(names)
    for row in quality:
        assert tuple(checked.loc[names[row["council_code"]], ["Periods due", "Loaded", "Missing"]]) == (
            row["due"],
            row["loaded"],
            row["missing"],
        )


def test_the_tri_council_then_another_group_shows_the_marts_figures(spend_env):
    at = open_spend(group=TRI)
    rendered(at)
    assert at.selectbox(key="spend_year").value == YEAR
    assert_group_figures(at, spend_env, TRI)
    tri_top = at.dataframe[2].value.iloc[0].to_dict()
    assert at.query_params["group"] == TRI and at.query_params["year"] == YEAR

    at.selectbox(key="spend_group").set_value(CSW).run()
    rendered(at)
    assert_group_figures(at, spend_env, CSW)
    assert at.dataframe[2].value.iloc[0].to_dict() != tri_top
    assert at.query_params["group"] == CSW


def test_each_download_is_the_marts_rows_for_the_group_and_year(spend_env, deferred):
    at = open_spend(group=TRI, year=YEAR)
    rendered(at)
    codes = list(members(spend_env, TRI))
    for key, mart in DOWNLOADS.items():
        header, *rows = list(csv.reader(io.StringIO(download(at, deferred, key).decode("utf-8"))))
        if "group_id" in header:
            expected = sql(
                spend_env, f"select * from marts.{mart} where group_id = %s and financial_year = %s", (TRI, YEAR)
            )
        else:
            expected = sql(
                spend_env,
                f"select * from marts.{mart} where council_code = any(%s) and financial_year = %s",
                (codes, YEAR),
            )
        assert expected and header == list(expected[0]), mart
        assert len(rows) == len(expected), mart
        amounts = [c for c in header if c.endswith("amount")]
        got = {
            tuple(Decimal(r[header.index(c)]) if r[header.index(c)] else None for c in amounts) + tuple(r[:6])
            for r in rows
        }
        want = {
            tuple(e[c] for c in amounts) + tuple("" if v is None else str(v) for v in list(e.values())[:6])
            for e in expected
        }
        assert got == want, mart


def test_an_unknown_group_or_year_in_the_address_shows_the_default(spend_env):
    at = open_spend(group="'; drop table marts.dim_council; --", year="1999-00")
    rendered(at)
    assert "partnership group that is not known here" in at.warning[0].value
    assert "financial year with no spend" in at.warning[1].value
    assert at.selectbox(key="spend_group").value == CSW  # the first offered: the smaller groups first
    assert at.selectbox(key="spend_year").value == YEAR


def assert_empty(at) -> None:
    rendered(at)
    assert EMPTY in at.info[0].value
    assert not at.dataframe and not at.metric and not at.get("download_button")


def test_a_warehouse_without_spend_says_so(reference_template, monkeypatch):
    with warehouse_copy(reference_template, "spend_page_empty") as warehouse:  # the groups, no spend marts yet
        monkeypatch.setenv("WAREHOUSE_URL", warehouse.url)
        assert_empty(open_spend(group=TRI))

        # the warehouse built with nothing loaded (`dbt run`: its tests are the spend tests' business)
        run_dbt(warehouse, ["run", "--select", "+mart_spend_by_category_year"])
        assert sql(warehouse, "select count(*) as n from marts.mart_spend_by_category_year") == [{"n": 0}]
        st.cache_data.clear()  # as when the page's cached answers expire after a build
        assert_empty(open_spend(group=TRI))


# --- in the browser ------------------------------------------------------------------------------


def grid_rows(driver, index: int) -> list[dict[str, str]]:
    """The visible rows of the page's index-th table, by column header: the data grid draws
    on a canvas and keeps the rows in view in an accessible table beside it."""
    grid = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')[index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", grid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        tables = grid.find_elements(By.CSS_SELECTOR, 'table[role="grid"]')
        rows = tables[0].find_elements(By.CSS_SELECTOR, "tbody tr") if tables else []
        if rows:
            head = [th.get_attribute("textContent") for th in tables[0].find_elements(By.CSS_SELECTOR, "thead th")]
            cells = [[td.get_attribute("textContent") for td in tr.find_elements(By.CSS_SELECTOR, "td")] for tr in rows]
            return [dict(zip(head, c, strict=False)) for c in cells]
        time.sleep(0.1)
    raise AssertionError("the table shows no rows")


def test_the_real_app_shows_the_page_and_downloads_a_table(spend_warehouse, tmp_path):
    rows = sql(
        spend_warehouse,
        "select proclass_level2, combined_net_amount from marts.mart_spend_opportunities "
        "where group_id = %s and financial_year = %s order by opportunity_rank",
        (TRI, YEAR),
    )
    (tmp_path / "downloads").mkdir()
    driver = browser.chrome(tmp_path / "profile", tmp_path / "downloads")
    try:
        with server.ExplorerServer(spend_warehouse, server.free_port(), log_path=tmp_path / "explorer.log") as app:
            browser.open_page(driver, app.page_url("spend", group=TRI, year=YEAR), "spend", timeout=60)
            assert driver.find_element(By.CSS_SELECTOR, "h1").text == "Pooled spend"
            text = driver.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text
            assert f"combined spend in {YEAR}" in text
            # the opportunities' grid (the third table), as the accessible table beside its canvas
            shown = grid_rows(driver, 2)
            assert [(r["Category"], r["Combined spend"]) for r in shown] == [
                (r["proclass_level2"], pounds(r["combined_net_amount"])) for r in rows[: len(shown)]
            ]
            button = next(
                b
                for b in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDownloadButton"] button')
                if b.text == "Download the opportunities (CSV)"
            )
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
            name = f"pooled-spend_{TRI}_{YEAR}_opportunities.csv"
            with browser.wait_for_download(tmp_path / "downloads", name).open(encoding="utf-8") as f:
                downloaded = list(csv.DictReader(f))
            assert [(r["proclass_level2"], Decimal(r["combined_net_amount"])) for r in downloaded] == [
                (r["proclass_level2"], r["combined_net_amount"]) for r in rows
            ]
            assert browser.off_machine(browser.requested_urls(driver)) == []
    finally:
        driver.quit()
