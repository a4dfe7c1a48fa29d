"""The explorer's way into the warehouse: a warehouse it cannot reach is one plain
sentence on the page, not a traceback."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from councilbench.explorer import server


def test_a_warehouse_that_cannot_be_reached_is_said_plainly(monkeypatch, warehouse):
    missing = warehouse.url.rsplit("/", 1)[0] + "/councilbench_no_such_database"
    monkeypatch.setenv("WAREHOUSE_URL", missing)
    at = AppTest.from_file(str(server.APP), default_timeout=30)
    at.switch_page(str(Path(server.APP).parent / "views" / "metric.py"))
    at.run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "cannot reach the warehouse (councilbench_no_such_database)" in error
    assert 'database "councilbench_no_such_database" does not exist' in error
