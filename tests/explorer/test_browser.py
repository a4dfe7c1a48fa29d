"""The explorer end to end, in headless Chromium (Debian's chromium and chromium-driver,
through Selenium): the real app (`streamlit run`, councilbench.explorer.server) on
127.0.0.1 against the built test warehouse, one server and one browser for the module.

Each page is opened by its address, as a link in an email or a bookmark opens it; the
figures it shows are compared with the marts', read here by SQL of the test's own; the
metric page is driven through its widgets (metric, council, comparison group) and its CSV
download compared with the mart; the self-check page is given a faulty return file. Every
page is saved as a screenshot under <state>/explorer/screenshots/<page>.png, and nothing
the browser asked for went further than 127.0.0.1.
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.dev.bench import browser
from councilbench.explorer.server import ExplorerServer, free_port
from councilbench.returns.report_text import CHECK_TITLES
from councilbench.returns.validate import validate_return
from councilbench.warehouse.connection import connect

#: The app's navigation, as app.py titles its pages (url path -> title).
TITLES = {
    "home": "Start here",
    "metric": "Metric explorer",
    "council": "Council profile",
    "region": "Region",
    "practice": "Good practice",
    "submissions": "Submissions",
    "check": "Check a file",
    "spend": "Pooled spend",
    "pay": "Pay benchmarks",
    "data": "Open data",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


# --- the app, the browser and what they share ------------------------------------------------


@pytest.fixture(scope="module")
def app(built, state_dir):
    log = Path(state_dir) / "explorer" / "browser-tests.log"
    with ExplorerServer(built.warehouse, free_port(), log_path=log) as server:
        yield server


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    root = tmp_path_factory.mktemp("chromium")
    (root / "downloads").mkdir()
    chrome = browser.chrome(root / "profile", root / "downloads")
    chrome.downloads = root / "downloads"
    yield chrome
    chrome.quit()


@pytest.fixture(scope="module")
def mart(built):
    """mart("select ...", params) -> rows as dicts, read as the admin (the test's own view)."""

    def _rows(sql: str, params=()) -> list[dict]:
        with connect(built.warehouse) as conn:
            cur = conn.execute(sql, params)
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    return _rows


def finish(driver, page: str, state_dir) -> Path:
    """What every page's test ends with: a screenshot of the page, no email address in
    it, and every request the browser made since the last check on 127.0.0.1."""
    shot = browser.save_screenshot(driver, Path(state_dir) / "explorer" / "screenshots" / f"{page}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert not EMAIL.findall(main_text(driver)), f"the {page} page shows an email address"
    urls = browser.requested_urls(driver)
    assert urls, "the browser log recorded no request"
    assert browser.off_machine(urls) == [], "the page fetched something from off this machine"
    return shot


# --- reading the page ----------------------------------------------------------------------------


def main_text(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text


def headings(driver) -> list[str]:
    return [h.text for h in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stHeading"]')]


def grid_rows(driver) -> list[dict[str, str]]:
    """The visible rows of the page's (first) table, by column header: the data grid draws
    on a canvas, and keeps the rows in view in an accessible table beside it."""
    grid = driver.find_element(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')
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


def choose(driver, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`, as a person does: type, click."""
    box = driver.find_element(By.CSS_SELECTOR, f'input[role="combobox"][aria-label="{label}"]')
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(option)
    matches = [o for o in driver.find_elements(By.CSS_SELECTOR, '[role="option"]') if o.text.strip() == option]
    assert matches, f"{label!r} offers no {option!r}"
    matches[0].click()


def click_radio(driver, label: str, option: str) -> None:
    for group in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stRadio"]'):
        if group.find_element(By.CSS_SELECTOR, '[data-testid="stWidgetLabel"]').text.strip() == label:
            next(o for o in group.find_elements(By.CSS_SELECTOR, "label") if o.text.strip() == option).click()
            return
    raise AssertionError(f"no radio group {label!r}")


def shown_number(text: str, name: str) -> tuple[float, float]:
    """The figure after "<name>: " in the page's text, and half its last shown digit (the
    most it can differ from the exact figure by rounding)."""
    found = re.search(rf"{re.escape(name)}: (-?[\d,]+(?:\.(\d+))?)", text)
    assert found, f"no figure for {name} on the page"
    decimals = len(found.group(2) or "")
    return float(found.group(1).replace(",", "")), 0.5 * 10**-decimals + 1e-9


# --- the marts, as the test reads them -------------------------------------------------------------


@pytest.fixture(scope="module")
def choice(mart) -> dict:
    """Two ranked monthly metrics every tier delivers, their latest period with a figure from
    every council, and a district council in the middle of its tier for the second."""
    metrics = mart(
        """
        select b.metric_id, m.metric_name, m.service_area, max(b.period) as period
        from marts.mart_benchmark b join marts.dim_metric m using (metric_id)
        where b.group_type = 'region' and m.polarity <> 'context' and m.frequency = 'monthly'
          and m.delivering_tiers like '%%district%%' and m.delivering_tiers like '%%county%%'
        group by 1, 2, 3 having count(distinct b.council_code) = 33 order by 1 limit 2"""
    )
    assert len(metrics) == 2
    first, second = metrics
    period = min(first["period"], second["period"])
    tier = mart(
        """
        select b.council_code, b.group_id, c.council_name from marts.mart_benchmark b
        join marts.dim_council c using (council_code)
        where b.metric_id = %s and b.period = %s and b.group_type = 'tier' and c.tier = 'district'
        order by b.rank, c.council_name""",
        (second["metric_id"], period),
    )
    council = tier[len(tier) // 2]
    return {"first": first, "second": second, "period": period, "council": council}


def ranking(mart, metric_id: str, period: str, group_id: str) -> dict[str, tuple[int, float]]:
    rows = mart(
        "select council_code, rank, normalised_value from marts.mart_benchmark "
        "where metric_id = %s and period = %s and group_id = %s",
        (metric_id, period, group_id),
    )
    return {r["council_code"]: (int(r["rank"]), float(r["normalised_value"])) for r in rows}


def assert_grid_is_the_mart(rows: list[dict[str, str]], expected: dict[str, tuple[int, float]]) -> None:
    assert rows
    value_column = next(c for c in rows[0] if c.startswith("Value"))
    for row in rows:
        rank, value = expected[row["GSS code"]]
        assert int(row["Rank"]) == rank, row
        assert float(row[value_column]) == pytest.approx(value, abs=1e-6), row
    shown = [int(r["Rank"]) for r in rows]
    assert shown == sorted(shown)  # best first
    assert shown[0] == min(r for r, _ in expected.values())


def region_value(mart, metric_id: str, period: str) -> float:
    rows = mart(
        "select distinct region_value from marts.mart_benchmark where metric_id = %s and period = %s "
        "and group_type = 'region' and region_value is not null",
        (metric_id, period),
    )
    assert len(rows) == 1
    return float(rows[0]["region_value"])


def label(metric: dict) -> str:
    """The metric as the Measure box lists it: its service area, then its name."""
    from councilbench.reports import format as fmt

    return f"{fmt.service_area_label(metric['service_area'])}: {metric['metric_name']}"


# --- the tests --------------------------------------------------------------------------------------


def test_a_page_address_opens_that_page_inside_the_apps_navigation(app, driver, choice, mart):
    """A link to one page (the emails link to /check, a bookmark to /metric?...) opens the
    app round it: its navigation by title, its wide layout. This is the module's first
    visit, on a server that has run nothing yet."""
    first, period = choice["first"], choice["period"]
    browser.open_page(driver, app.page_url("metric", metric=first["metric_id"], period=period), "metric")
    nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')]
    assert nav == list(TITLES.values())
    assert driver.find_element(By.CSS_SELECTOR, "h1").text == TITLES["metric"]


def test_metric_page_shows_the_marts_figures_as_metric_council_and_group_change(app, driver, choice, mart, state_dir):
    first, second, period, council = choice["first"], choice["second"], choice["period"], choice["council"]
    browser.open_page(driver, app.page_url("metric", metric=first["metric_id"], period=period), "metric")
    assert any(h.startswith(first["metric_name"]) for h in headings(driver))
    assert_grid_is_the_mart(grid_rows(driver), ranking(mart, first["metric_id"], period, "region"))
    shown, rounding = shown_number(main_text(driver), "West Midlands")
    assert shown == pytest.approx(region_value(mart, first["metric_id"], period), abs=rounding)

    # Another metric: the page follows it, the period stays.
    browser.change(driver, "metric", lambda: choose(driver, "Measure (grouped by service area)", label(second)))
    assert any(h.startswith(second["metric_name"]) for h in headings(driver))
    assert f"metric={second['metric_id']}" in driver.current_url
    assert_grid_is_the_mart(grid_rows(driver), ranking(mart, second["metric_id"], period, "region"))
    shown, rounding = shown_number(main_text(driver), "West Midlands")
    assert shown == pytest.approx(region_value(mart, second["metric_id"], period), abs=rounding)

    # A council, then its tier as the comparison group: the ranking is the tier's.
    browser.change(
        driver,
        "metric",
        lambda: choose(driver, "Your council (outlined; sets its own groups)", council["council_name"]),
    )
    browser.change(driver, "metric", lambda: click_radio(driver, "Compare within", "Same tier"))
    expected = ranking(mart, second["metric_id"], period, council["group_id"])
    assert council["council_code"] in expected and len(expected) < 33
    assert_grid_is_the_mart(grid_rows(driver), expected)
    text = main_text(driver)
    _, mine_value = expected[council["council_code"]]
    shown, rounding = shown_number(text, fmt_display_name(council["council_name"]))
    assert shown == pytest.approx(mine_value, abs=rounding)

    # The CSV download is exactly the table shown: the tier's councils, ranks and values.
    for old in driver.downloads.glob("*.csv"):
        old.unlink()
    driver.find_element(By.CSS_SELECTOR, '[data-testid="stDownloadButton"] button').click()
    name = f"{second['metric_id']}_{period}_{council['group_id'].replace(':', '_')}.csv"
    with browser.wait_for_download(driver.downloads, name).open(encoding="utf-8") as f:
        downloaded = list(csv.DictReader(f))
    value_column = next(c for c in downloaded[0] if c.startswith("Value"))
    assert len(downloaded) == len(expected)
    for row in downloaded:
        rank, value = expected[row["GSS code"]]
        assert (int(row["Rank"]), float(row[value_column])) == (rank, pytest.approx(value, abs=1e-9)), row
    assert [int(r["Rank"]) for r in downloaded] == sorted(r for r, _ in expected.values())
    finish(driver, "metric", state_dir)


def fmt_display_name(council_name: str) -> str:
    """How the page names a council in its sentences (the reports' display name)."""
    from councilbench.reports import format as fmt

    return fmt.display_name(council_name)


def test_council_profile_opens_for_a_council(app, driver, choice, state_dir):
    council = catalogue.councils()[choice["council"]["council_code"]]
    browser.open_page(driver, app.page_url("council", council=council.short_name), "council")
    assert fmt_display_name(council.name) in driver.find_element(By.CSS_SELECTOR, "h1").text
    finish(driver, "council", state_dir)


@pytest.mark.parametrize("page", ["region", "practice", "submissions", "spend", "data"])
def test_page_opens(app, driver, page, state_dir):
    browser.open_page(driver, app.page_url(page), page)
    assert driver.find_element(By.CSS_SELECTOR, "h1").text
    finish(driver, page, state_dir)


def test_the_front_page_links_every_page(app, driver, state_dir):
    browser.open_page(driver, app.url + "/", "home")
    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] [data-testid="stPageLink"] a')
    assert [a.text for a in links] == [t for p, t in TITLES.items() if p != "home"]
    assert [a.get_attribute("href").rsplit("/", 1)[-1] for a in links] == [p for p in TITLES if p != "home"]
    finish(driver, "home", state_dir)


def test_check_page_rejects_a_faulty_file_with_the_pipelines_words(app, driver, choice, tmp_path, state_dir):
    """A return with a negative count, uploaded on the self-check page for its council and
    month: the page says it would be rejected, with the failed checks the pipeline's own
    validation finds in the same file."""
    council = catalogue.councils()[choice["council"]["council_code"]]
    month = choice["period"]
    path = tmp_path / f"{council.short_name}-{month}.csv"
    path.write_bytes(sample.faulted_bytes(council.code, month, ["negative_count"]))
    failures = validate_return(path, council_code=council.code, return_month=month).failures()
    assert failures

    browser.open_page(driver, app.page_url("check", council=council.short_name, period=month), "check")
    upload = driver.find_element(By.CSS_SELECTOR, '[data-testid="stFileUploader"] input[type="file"]')
    browser.change(driver, "check", lambda: upload.send_keys(str(path)))
    text = main_text(driver)
    assert "REJECTED" in text
    for check in failures:
        assert CHECK_TITLES.get(check.check, check.check) in text
        assert check.message.rstrip(".") in text
    finish(driver, "check", state_dir)
