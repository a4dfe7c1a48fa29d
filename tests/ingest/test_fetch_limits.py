"""A download that never ends is cut off: the fetch stops at its limit, keeps nothing
half-written on the landing volume, and says why in words."""

from __future__ import annotations

from councilbench.ingest.fetch import RetryPolicy, fetch_http
from councilbench.ingest.landing import landing_root


def test_a_download_past_the_limit_is_stopped_and_leaves_nothing(returns_server):
    (returns_server.folder / "limits").mkdir(exist_ok=True)
    (returns_server.folder / "limits" / "big.csv").write_bytes(b"x" * 50_000)
    url = f"{returns_server.url}/limits/big.csv"
    before = set(landing_root().glob(".download-*"))

    cut = fetch_http(url, policy=RetryPolicy(attempts=1, max_bytes=10_000))
    assert cut.outcome == "error" and cut.path is None and cut.http_status == 200
    assert "more than 9.8 KB" in cut.message and "no council file is this big" in cut.message
    assert set(landing_root().glob(".download-*")) == before  # the partial download is gone

    whole = fetch_http(url, policy=RetryPolicy(attempts=1, max_bytes=50_000))  # at the limit: all of it
    assert whole.outcome == "received" and whole.path.stat().st_size == 50_000
    whole.discard()
