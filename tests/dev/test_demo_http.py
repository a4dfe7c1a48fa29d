"""The demo HTTP server: real sockets, real requests, conditional GETs and each fault."""

from __future__ import annotations

import email.utils
import http.client
import os
import time

import pytest
import requests

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.dev.file_server import serve_folder

MONTH = "2026-10"
TIMEOUT = (2, 5)


@pytest.fixture(scope="module")
def returns_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("returns")
    sample.write_returns(out, [MONTH], faults={"E08000027": ["xlsx_second_sheet"]})
    (out / "notes.xlsx").write_bytes((out / "dudley" / f"{MONTH}.csv").read_bytes())
    (out / "secret.txt").write_text("outside the prefix's reach is still inside root")
    return out


@pytest.fixture
def server(returns_dir):
    with serve_folder(returns_dir, prefix="/returns") as handle:
        yield handle
    assert not handle.running


def test_every_council_url_serves_its_file(server, returns_dir):
    with requests.Session() as s:
        for council in catalogue.councils().values():
            url = council.return_uri(MONTH, returns_base_url=server.url)
            assert url == f"{server.url}/{council.short_name}/{MONTH}.csv"
            resp = s.get(url, timeout=TIMEOUT)
            assert resp.status_code == 200, url
            assert resp.content == (returns_dir / council.short_name / f"{MONTH}.csv").read_bytes()
            assert resp.headers["Content-Type"] == "text/csv"
            assert resp.headers["ETag"].startswith('"') and resp.headers["Last-Modified"].endswith("GMT")


def test_content_types_and_head(server):
    resp = requests.get(server.url_for("notes.xlsx"), timeout=TIMEOUT)
    assert resp.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert resp.content[:4] == b"PK\x03\x04"
    head = requests.head(server.url_for("dudley/2026-10.csv"), timeout=TIMEOUT)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(resp.content)  # notes.xlsx is a copy of it
    assert head.headers["ETag"] == resp.headers["ETag"]


def test_etag_and_last_modified_give_304(server):
    url = server.url_for("birmingham/2026-10.csv")
    first = requests.get(url, timeout=TIMEOUT)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    again = requests.get(url, headers={"If-None-Match": etag}, timeout=TIMEOUT)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    weak_list = requests.get(url, headers={"If-None-Match": f'"other", W/{etag}'}, timeout=TIMEOUT)
    assert weak_list.status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"other"'}, timeout=TIMEOUT).status_code == 200

    assert requests.get(url, headers={"If-Modified-Since": last_modified}, timeout=TIMEOUT).status_code == 304
    old = email.utils.formatdate(time.time() - 10 * 86400, usegmt=True)
    assert requests.get(url, headers={"If-Modified-Since": old}, timeout=TIMEOUT).status_code == 200
    assert requests.get(url, headers={"If-Modified-Since": "not a date"}, timeout=TIMEOUT).status_code == 200
    # If-None-Match wins: a stale tag means a full answer even if the date would say 304
    both = requests.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified}, timeout=TIMEOUT)
    assert both.status_code == 200

    seen = [r for r in server.requests if r.path == "/returns/birmingham/2026-10.csv"]
    # handler threads record after answering, so the log's order is not the requests' order
    assert any(r.if_none_match == etag and r.status == 304 for r in seen)


def test_a_changed_file_gets_a_new_etag(tmp_path):
    (tmp_path / "a.csv").write_text("council_code\nE08000025\n")
    with serve_folder(tmp_path) as srv:
        first = requests.get(srv.url_for("a.csv"), timeout=TIMEOUT)
        (tmp_path / "a.csv").write_text("council_code\nE08000026\n")
        later = time.time() + 5
        os.utime(tmp_path / "a.csv", (later, later))
        second = requests.get(srv.url_for("a.csv"), headers={"If-None-Match": first.headers["ETag"]}, timeout=TIMEOUT)
        assert second.status_code == 200 and b"E08000026" in second.content
        assert second.headers["ETag"] != first.headers["ETag"]
        assert second.headers["Last-Modified"] != first.headers["Last-Modified"]


def test_missing_files_outside_paths_and_traversal_are_404(server):
    assert requests.get(server.url_for("dudley/2099-01.csv"), timeout=TIMEOUT).status_code == 404
    assert requests.get(server.url_for("dudley"), timeout=TIMEOUT).status_code == 404  # no listings
    assert requests.get(server.origin + "/secret.txt", timeout=TIMEOUT).status_code == 404  # outside the prefix
    assert requests.get(server.url_for("secret.txt"), timeout=TIMEOUT).status_code == 200
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for raw in ("/returns/../returns/secret.txt", "/returns/%2e%2e/etc/passwd", "/returns/dudley/../../x"):
            conn.request("GET", raw)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 404, raw
    finally:
        conn.close()


def test_status_500_once_then_normal(server):
    url = server.url_for("dudley/2026-10.csv")
    server.set_behaviour("/returns/dudley/2026-10.csv", "status_500", times=1)
    assert requests.get(url, timeout=TIMEOUT).status_code == 500
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    server.set_behaviour(url, "status_503")  # a full URL works too; until cleared
    assert [requests.get(url, timeout=TIMEOUT).status_code for _ in range(2)] == [503, 503]
    server.set_behaviour(url, "normal")
    assert requests.get(url, timeout=TIMEOUT).status_code == 200


def test_slow_answers_time_out_a_short_read_timeout(server):
    url = server.url_for("walsall/2026-10.csv")
    server.set_behaviour(url, "slow:1.5", times=1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=(1, 0.3))
    assert time.monotonic() - started < 1.2
    server.set_behaviour(url, "slow:0.3", times=1)
    started = time.monotonic()
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 200 and time.monotonic() - started >= 0.3


def test_drop_closes_the_connection_without_an_answer(server):
    url = server.url_for("sandwell/2026-10.csv")
    server.set_behaviour(url, "drop", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=TIMEOUT)
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    assert any(r.status is None and r.behaviour == "drop" for r in server.requests)


def test_html_login_page_with_200(server):
    url = server.url_for("coventry/2026-10.csv")
    server.set_behaviour(url, "html_login")
    resp = requests.get(url, timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.text.startswith("<!DOCTYPE html>") and "<form" in resp.text and "Sign in" in resp.text
    server.clear_behaviours()
    assert requests.get(url, timeout=TIMEOUT).headers["Content-Type"] == "text/csv"


def test_unknown_behaviour_is_refused(server):
    with pytest.raises(ValueError, match="unknown behaviour"):
        server.set_behaviour("/returns/x.csv", "explode")
    with pytest.raises(ValueError):
        server.set_behaviour("/returns/x.csv", "status_999")


def test_stop_wakes_a_slow_answer_and_frees_the_port(tmp_path):
    (tmp_path / "a.csv").write_text("x\n")
    srv = serve_folder(tmp_path)
    srv.set_behaviour("/a.csv", "slow:30")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(srv.url_for("a.csv"), timeout=(1, 0.2))
    srv.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(srv.url_for("a.csv"), timeout=(0.5, 0.5))
    srv.stop()  # idempotent


def test_the_projects_fetcher_retries_a_500_and_honours_etags(server):
    from councilbench.ingest.fetch import RetryPolicy, fetch_http

    url = server.url_for("wolverhampton/2026-10.csv")
    fast = RetryPolicy(attempts=3, backoff_seconds=0.05, connect_timeout=2, read_timeout=2)
    server.set_behaviour(url, "status_500", times=1)
    got = fetch_http(url, policy=fast)
    try:
        assert got.outcome == "received" and got.attempts == 2 and got.media_type == "text/csv"
        assert got.path.read_bytes().startswith(b"council_code,")
    finally:
        got.discard()
    unchanged = fetch_http(url, etag=got.etag, policy=fast)
    assert unchanged.outcome == "unchanged" and unchanged.http_status == 304
    server.set_behaviour(url, "slow:1", times=3)
    slow = fetch_http(url, policy=RetryPolicy(attempts=2, backoff_seconds=0.01, connect_timeout=1, read_timeout=0.2))
    assert slow.outcome == "error" and "no answer" in slow.message
