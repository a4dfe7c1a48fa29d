"""Driving the explorer in headless Chromium (Debian's chromium and chromium-driver,
through Selenium), for the browser tests and the bench's render times: one way to start
the browser, to know when a page has rendered, to screenshot it and to list what it
fetched.

A page has rendered when Streamlit's script has finished (the app root's
data-test-script-state is notRunning, connected), nothing on the page is stale (left
over from the previous run), its closing caption (each page ends with one, see
PAGE_MARKERS) is there, every chart has drawn its canvas or SVG and no exception is
shown. The check runs in the page on every DOM change (a MutationObserver), so the time
it reports is the moment the page became complete, in milliseconds since navigation start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
WINDOW = (1400, 1000)

#: url path -> the stable start of the caption that closes the page.
PAGE_MARKERS = {
    "home": "councilbench explorer: the West Midlands councils' shared benchmarking",
    "metric": "Source: marts.mart_benchmark, mart_comparison_groups",
    "council": "Source: marts.mart_benchmark (region group)",
    "region": "Source: marts.mart_region_problems",
    "practice": "Source: marts.mart_case_studies",
    "submissions": "Source: marts.mart_submission_quality",
    "check": "Nothing you upload on this page is kept",
    "pay": "Source: marts.mart_pay_benchmark and mart_pay_gender_gap",
    "spend": "Source: marts.mart_spend_by_category_year",
    "data": "Source: every table of the marts the analyst role may read.",
}

#: Resolves (arguments[-1]) with {"ms": performance.now(), "error": exception text or null}
#: once the page is complete as the module doc says, checked on every DOM change.
#: arguments[0]: the caption's start; arguments[1]: how many script runs must have started
#: since change() armed the count (0 on a fresh navigation, 1 after a widget change).
_RENDERED_JS = """
const [marker, runsNeeded, done] = arguments;
function state() {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return null;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  if ((window.__cbRuns || 0) < runsNeeded) return null;
  const error = document.querySelector('[data-testid="stException"]');
  if (error) return {ms: performance.now(), error: error.innerText};
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return null;
  const captions = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')];
  if (!captions.some(c => c.innerText.trim().startsWith(marker))) return null;
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const drawn = chart.querySelector('canvas, svg.marks');
    if (!drawn || drawn.getBoundingClientRect().width === 0) return null;
  }
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    if (!grid.querySelector('canvas')) return null;
  }
  return {ms: performance.now(), error: null};
}
let finished = false;
const observer = new MutationObserver(check);
function check() {
  if (finished) return;
  const s = state();
  if (s) { finished = true; observer.disconnect(); done(s); }
}
observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
check();
"""

#: Counts the script runs that start from now on (the app root's script state turning
#: to running), so a wait after a widget change never mistakes the old page for the new.
_ARM_RERUN_JS = """
window.__cbRuns = 0;
const app = document.querySelector('[data-testid="stApp"]');
new MutationObserver(records => {
  for (const r of records) if (app.getAttribute('data-test-script-state') === 'running') window.__cbRuns += 1;
}).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
"""


class PageError(AssertionError):
    """The page showed an exception instead of rendering."""


def chrome(profile_dir: Path, download_dir: Path):
    """Headless Chromium with a fresh profile, downloads saved to download_dir without a
    prompt, and every network request in its performance log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(download_dir), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    return driver


def wait_rendered(driver, page: str, *, after_rerun: bool = False, timeout: float = 30) -> float:
    """Wait until `page` (its url path) has rendered; the moment it did, in ms since
    navigation start. after_rerun: a run started since change() armed the count."""
    driver.set_script_timeout(timeout)
    result = driver.execute_async_script(_RENDERED_JS, PAGE_MARKERS[page], 1 if after_rerun else 0)
    if result["error"]:
        raise PageError(f"the {page} page shows an error:\n{result['error']}")
    return result["ms"]


def open_page(driver, url: str, page: str, *, timeout: float = 30) -> float:
    """Navigate to a page and wait until it has rendered; ms from navigation start."""
    driver.get(url)
    return wait_rendered(driver, page, timeout=timeout)


def change(driver, page: str, action, *, timeout: float = 30) -> float:
    """Do `action()` (a widget change: a selection, an upload, a click) on a rendered page
    and wait until the run it starts has rendered the page again; ms since navigation."""
    wait_rendered(driver, page, timeout=timeout)  # a run still going would hide the new one
    driver.execute_script(_ARM_RERUN_JS)
    action()
    return wait_rendered(driver, page, after_rerun=True, timeout=timeout)


def save_screenshot(driver, path: Path) -> Path:
    """The whole page as a PNG: the window grows to the page's height for the shot (the
    app scrolls inside its own container, so a viewport shot would cut it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script(
        "const c = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
        "return c ? c.scrollHeight + 160 : document.body.scrollHeight;"
    )
    driver.set_window_size(WINDOW[0], max(WINDOW[1], min(int(height), 8000)))
    driver.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")
    driver.save_screenshot(str(path))
    driver.set_window_size(*WINDOW)
    return path


def requested_urls(driver) -> list[str]:
    """Every URL the browser requested or opened a WebSocket to since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


#: Schemes that never leave the browser (its own pages, inline data, in-page blobs).
LOCAL_SCHEMES = {"chrome", "data", "blob", "about"}


def off_machine(urls: list[str]) -> list[str]:
    """The URLs that went anywhere but 127.0.0.1."""
    return [u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).hostname != "127.0.0.1"]


def wait_for_download(folder: Path, name: str, timeout: float = 15) -> Path:
    """The downloaded file, once Chrome has finished writing it."""
    deadline = time.monotonic() + timeout
    path = folder / name
    while time.monotonic() < deadline:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    raise TimeoutError(f"{name} was not downloaded into {folder} within {timeout:g} s: {sorted(folder.iterdir())}")
