"""The explorer's tests share one built warehouse (tests/warehouse_data.py builds it once
per test process) and open the app through streamlit.testing's AppTest, in process; the
browser tests start the real app once per module (councilbench.explorer.server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import warehouse_data as wd
from councilbench.explorer import server

APP = str(server.APP)


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    """The test warehouse, history loaded and the marts built; the app reads it."""
    built = wd.built_warehouse(reference_warehouse, state_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_URL", built.warehouse.url)
        yield built


@pytest.fixture
def open_page(built):
    """open_page("metric", metric="...", council="...") -> the AppTest after its first run
    of that page with those query parameters."""

    def _open(name: str, **query) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(str(Path(server.APP).parent / "views" / f"{name}.py"))
        return at.run()

    return _open
