"""The explorer's part of `make bench`, on the bench's warehouse (ten years of returns):
each page's time to first full render in headless Chromium, and the open-data export.

A page's time is from navigation start to the moment it is complete (browser.wait_rendered:
the script has finished, its closing caption and every chart and table are drawn), on a
first visit to that page: a new session, none of the page's own queries cached by the app
yet. The browser has already loaded the app's front end once (the warm-up visit), as it
has for an officer who has opened the explorer before; what is measured is the app's work.
"""

from __future__ import annotations

import time
from pathlib import Path

from councilbench.dev.bench import browser
from councilbench.warehouse.connection import Warehouse

#: url path -> the query parameters of its visit (the council page needs a council; the
#: largest one, Birmingham, has the most to show).
PAGES = {
    "home": {},
    "metric": {},
    "council": {"council": "birmingham"},
    "region": {},
    "submissions": {},
    "check": {},
    "data": {},
}
#: The pooled spend page, timed on the spend bench's warehouse (a year of spend), its
#: largest group of three councils.
SPEND_PAGES = {"spend": {"group": "tri-council"}}
#: The warm-up visit: a page whose own queries are the small lists every page shares.
WARM_UP = "check"


def render_times(
    warehouse: Warehouse, folder: Path, pages: dict[str, dict] | None = None, warm_up: str = WARM_UP
) -> dict[str, float]:
    """Seconds to each page's first full render, in `pages` order (default PAGES); a
    screenshot of each page as rendered goes to <folder>/screenshots/<page>.png."""
    from councilbench.explorer.server import ExplorerServer, free_port

    with ExplorerServer(warehouse, free_port(), log_path=folder / "explorer.log") as app:
        driver = browser.chrome(folder / "chromium-profile", folder / "downloads")
        try:
            browser.open_page(driver, app.page_url(warm_up), warm_up, timeout=120)
            seconds = {}
            for page, query in (PAGES if pages is None else pages).items():
                seconds[page] = round(
                    browser.open_page(driver, app.page_url(page, **query), page, timeout=120) / 1000, 3
                )
                browser.save_screenshot(driver, folder / "screenshots" / f"{page}.png")
            return seconds
        finally:
            driver.quit()


def export_release(warehouse: Warehouse, folder: Path) -> dict:
    """`councilbench export`'s work, timed: every mart as CSV and the validated datapackage.json."""
    from councilbench.reports import opendata

    started = time.monotonic()
    release = opendata.export(warehouse, folder)
    return {
        "seconds": round(time.monotonic() - started, 2),
        "files": len(release.resources),
        "rows": sum(r["rows"] for r in release.resources),
        "megabytes": sum(r["bytes"] for r in release.resources) / 1e6,
    }
