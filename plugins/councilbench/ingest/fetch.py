"""Fetching a source file: http(s) with timeouts, retries with backoff and conditional
requests; local folders and object storage through Airflow's ObjectStoragePath.

The result is a temporary file on the landing volume (streamed, never all in memory)
that the caller lands; or an outcome that says why there is nothing to land.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from councilbench.ingest.landing import CHUNK, landing_root, limit_words

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
NOT_THERE_STATUS = {404, 410}


@dataclass
class Fetched:
    """What a fetch found. outcome: received | unchanged | not_received | error."""

    uri: str
    outcome: str
    http_status: int | None = None
    path: Path | None = None  # temporary file to land (outcome == received)
    media_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    message: str = ""
    attempts: int = 1
    original_name: str | None = None  # the file's name, when the URI does not end in it
    #: A paged fetch (NOMIS): every request it made, in order, each recorded as a fetch
    #: attempt of its own; empty for a single request.
    pages: list[Fetched] = field(default_factory=list)

    def discard(self) -> None:
        if self.path and self.path.exists():
            self.path.unlink()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 1.0  # 1 s, 2 s, 4 s ...
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    #: The most a download may be: far above any reader's own limit (a spend file's is
    #: 100 MB), so a too-big file is still landed and kept to be rejected in words; only
    #: an answer that never ends, or a wrong address serving a whole archive, is cut off
    #: before it fills the landing volume.
    max_bytes: int = 1 << 30

    def delay(self, attempt: int) -> float:
        return self.backoff_seconds * (2 ** (attempt - 1))


def _temp_file() -> tuple[int, Path]:
    fd, name = tempfile.mkstemp(dir=landing_root(), prefix=".download-")
    return fd, Path(name)


def received_bytes(uri: str, data: bytes, **fields) -> Fetched:
    """A fetch whose answer was put together in memory (the pages of a paged API), as a
    temporary file to land like any other."""
    fd, path = _temp_file()
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Fetched(uri=uri, outcome="received", path=path, **fields)


def fetch_http(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
    session=None,
    params: dict | None = None,
) -> Fetched:
    """GET with conditional headers; retry connection errors, timeouts and 5xx/429."""
    import requests

    http = session or requests.Session()
    headers = {"User-Agent": "councilbench/0.1 (West Midlands council benchmarking)"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    last_problem = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            with http.get(
                url, headers=headers, params=params, stream=True, timeout=(policy.connect_timeout, policy.read_timeout)
            ) as resp:
                status = resp.status_code
                common = {
                    "uri": url,
                    "http_status": status,
                    "attempts": attempt,
                    "etag": resp.headers.get("ETag"),
                    "last_modified": resp.headers.get("Last-Modified"),
                }
                if status == 304:
                    return Fetched(outcome="unchanged", message="not modified since the last fetch", **common)
                if status in NOT_THERE_STATUS:
                    return Fetched(
                        outcome="not_received", message=f"no file at the source yet (HTTP {status})", **common
                    )
                if status in RETRYABLE_STATUS:
                    last_problem = f"HTTP {status} from the source"
                elif status >= 400:
                    return Fetched(outcome="error", message=f"the source refused the request (HTTP {status})", **common)
                else:
                    path = _download(resp, policy.max_bytes)
                    if path is None:
                        return Fetched(
                            outcome="error",
                            message=f"the source sent more than {limit_words(policy.max_bytes)} and the download "
                            "was stopped: no council file is this big, so check the source address",
                            **common,
                        )
                    media = (resp.headers.get("Content-Type") or "").split(";")[0].strip() or None
                    return Fetched(outcome="received", path=path, media_type=media, **common)
        except requests.exceptions.ConnectTimeout:
            last_problem = f"connection timed out after {policy.connect_timeout:g} s"
        except requests.exceptions.ReadTimeout:
            last_problem = f"no answer within {policy.read_timeout:g} s"
        except requests.exceptions.ConnectionError as exc:
            last_problem = f"could not connect ({_short(exc)})"
        except requests.exceptions.ChunkedEncodingError as exc:
            last_problem = f"the answer was cut off ({_short(exc)})"
        if attempt < policy.attempts:
            log.warning(
                "fetch %s: %s; retrying in %.1f s (attempt %d of %d)",
                url,
                last_problem,
                policy.delay(attempt),
                attempt,
                policy.attempts,
            )
            time.sleep(policy.delay(attempt))
    return Fetched(
        uri=url,
        outcome="error",
        attempts=policy.attempts,
        message=f"{last_problem} (gave up after {policy.attempts} attempts)",
    )


def _download(resp, max_bytes: int) -> Path | None:
    """Stream the body to a temporary file; None (and nothing kept) past max_bytes."""
    fd, path = _temp_file()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in resp.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    break
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size > max_bytes:
        path.unlink(missing_ok=True)
        return None
    return path


def fetch_path(uri: str) -> Fetched:
    """A local path, file:// URI or object-storage URI (s3://, gs://, ...)."""
    from airflow.sdk import ObjectStoragePath

    src = ObjectStoragePath(uri) if "://" in uri else ObjectStoragePath(f"file://{Path(uri).resolve()}")
    if not src.exists():
        return Fetched(uri=uri, outcome="not_received", message="no file at the source yet")
    fd, path = _temp_file()
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    suffix = Path(str(src)).suffix.lower()
    media = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}.get(
        suffix
    )
    return Fetched(uri=uri, outcome="received", path=path, media_type=media)


def fetch(uri: str, **kwargs) -> Fetched:
    if uri.startswith(("http://", "https://")):
        return fetch_http(uri, **kwargs)
    return fetch_path(uri)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "..."
