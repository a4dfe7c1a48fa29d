"""Finding the warehouse: WAREHOUSE_URL, the local server, or an embedded PostgreSQL."""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg

from councilbench.warehouse import connection as warehouse
from councilbench.warehouse.connection import UrlParts


def test_url_parts_round_trip_tcp_and_socket():
    tcp = UrlParts.parse("postgresql://loader:p%40ss@db.internal:6543/cb")
    assert (tcp.user, tcp.password, tcp.host, tcp.port, tcp.database) == ("loader", "p@ss", "db.internal", 6543, "cb")
    assert UrlParts.parse(tcp.url) == tcp
    sock = UrlParts.parse("postgresql://postgres:@/councilbench?host=/tmp/pg&port=5432")
    assert sock.is_socket and sock.host == "/tmp/pg" and sock.database == "councilbench"
    assert UrlParts.parse(sock.url) == sock


def test_warehouse_url_wins(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://someone@10.0.0.9:5433/elsewhere")
    wh = warehouse.resolve()
    assert wh.origin == "WAREHOUSE_URL" and wh.database == "elsewhere"


def test_malformed_warehouse_url_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "mysql://x@y/z")
    try:
        warehouse.resolve()
    except ValueError as exc:
        assert "postgresql://" in str(exc)
    else:
        raise AssertionError("a mysql:// URL was accepted")


def test_local_server_is_found_when_no_url(monkeypatch):
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setattr(warehouse, "_port_answers", lambda host, port, timeout=0.5: True)
    wh = warehouse.resolve()
    assert wh.origin == "local server" and wh.parts.host == "127.0.0.1" and wh.parts.port == 5432


def test_embedded_server_starts_when_nothing_answers(monkeypatch):
    """No URL and nothing on 5432: the project starts its own PostgreSQL under the state folder."""
    # Not pytest's tmp_path: that is private to root, and as root pgserver runs the
    # server as its own system user, which must be able to reach the data folder.
    tmp_path = Path(tempfile.mkdtemp(prefix="cb-embedded-"))
    tmp_path.chmod(0o755)
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("COUNCILBENCH_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(warehouse, "_port_answers", lambda host, port, timeout=0.5: False)
    try:
        wh = warehouse.resolve()
        assert wh.origin == "embedded"
        assert (tmp_path / "pgdata" / "PG_VERSION").exists()
        with psycopg.connect(wh.with_database("postgres").url) as conn:
            version = conn.execute("show server_version").fetchone()[0]
        assert version.split(".")[0].isdigit()
    finally:
        assert warehouse.stop_embedded() is True
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
