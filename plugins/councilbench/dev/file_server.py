"""A small HTTP server that serves a folder, as a council's file share would, for the demo
and the tests: conditional GETs (ETag, Last-Modified, 304), 404s, the right content types,
and faults on demand (a 500, a slow answer, a dropped connection, a sign-in page).

    with serve_folder(returns_dir, prefix="/returns") as server:
        url = council.return_uri("2026-10", returns_base_url=server.url)
        server.set_behaviour("/returns/dudley/2026-10.csv", "status_500", times=1)   # fails once

It runs in a daemon thread on 127.0.0.1 (port 0 picks a free port) and logs to the
`councilbench.dev.file_server` logger, never to stderr.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import html
import logging
import mimetypes
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger("councilbench.dev.file_server")

CONTENT_TYPES = {
    ".csv": "text/csv",  # no charset: a council's CSV may be UTF-8 or Windows-1252
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
}

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Council document store</title></head>
<body>
<h1>Sign in to continue</h1>
<p>You need to sign in with your council account to download {path}.</p>
<form method="post" action="/login">
<label>Username <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
"""

BEHAVIOURS_HELP = (
    "status_NNN (answer with that HTTP status, e.g. status_500, status_503, status_404), "
    "slow:SECONDS (wait, then answer normally), drop (close the connection without answering), "
    "html_login (200 with an HTML sign-in page), normal"
)


@dataclass
class Behaviour:
    kind: str  # status | slow | drop | html_login | normal
    status: int = 200
    seconds: float = 0.0
    times: int | None = None  # how many requests it applies to; None = until cleared

    @classmethod
    def parse(cls, text: str, times: int | None = None) -> Behaviour:
        text = text.strip()
        if text.startswith("status_"):
            code = int(text[len("status_") :])
            if not 100 <= code <= 599:
                raise ValueError(f"not an HTTP status: {code}")
            return cls("status", status=code, times=times)
        if text.startswith("slow:"):
            return cls("slow", seconds=float(text[len("slow:") :]), times=times)
        if text in ("drop", "html_login", "normal"):
            return cls(text, times=times)
        raise ValueError(f"unknown behaviour {text!r}; use {BEHAVIOURS_HELP}")


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered: for tests that check conditional headers or retries."""

    method: str
    path: str
    status: int | None  # None when the connection was dropped
    if_none_match: str | None
    if_modified_since: str | None
    behaviour: str
    at: float


@dataclass
class _State:
    root: Path
    prefix: str
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[RequestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    etags: dict[tuple[str, int, int], str] = field(default_factory=dict)  # (path, mtime_ns, size) -> etag

    def take_behaviour(self, path: str) -> Behaviour | None:
        with self.lock:
            b = self.behaviours.get(path)
            if b is None:
                return None
            if b.times is not None:
                b.times -= 1
                if b.times <= 0:
                    del self.behaviours[path]
            return b

    def etag_for(self, file: Path, stat) -> str:
        key = (str(file), stat.st_mtime_ns, stat.st_size)
        with self.lock:
            cached = self.etags.get(key)
        if cached:
            return cached
        h = hashlib.sha256()
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        etag = f'"{h.hexdigest()[:32]}"'
        with self.lock:
            self.etags[key] = etag
        return etag


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, handler, state: _State):
        self.state = state
        super().__init__(address, handler)

    def handle_error(self, request, client_address):  # no tracebacks on stderr
        # socketserver calls this from inside its `except`, so the exception is current.
        log.debug("error while answering %s", client_address, exc_info=True)  # noqa: LOG014


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "councilbench-demo/1.0"
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms stalls on keep-alive

    def log_message(self, format, *args):
        log.debug("%s - %s", self.address_string(), format % args)

    # --- helpers ----------------------------------------------------------------------
    def _record(self, status: int | None, behaviour: str) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(
                RequestRecord(
                    self.command,
                    self._url_path(),
                    status,
                    self.headers.get("If-None-Match"),
                    self.headers.get("If-Modified-Since"),
                    behaviour,
                    time.time(),
                )
            )

    def _url_path(self) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)

    def _send_body(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, behaviour: str = "normal") -> None:
        body = (
            f"<!DOCTYPE html><html><head><title>{status} {html.escape(message)}</title></head>"
            f"<body><h1>{status}</h1><p>{html.escape(message)}</p></body></html>"
        ).encode()
        self._send_body(status, body, "text/html; charset=utf-8")
        self._record(status, behaviour)

    def _file_for(self, url_path: str) -> Path | None:
        state = self.server.state
        if state.prefix:
            if url_path != state.prefix and not url_path.startswith(state.prefix + "/"):
                return None
            url_path = url_path[len(state.prefix) :]
        parts = [p for p in url_path.split("/") if p]
        if any(p in ("..", ".") or "\\" in p or "\x00" in p for p in parts):
            return None
        candidate = state.root.joinpath(*parts) if parts else state.root
        try:
            resolved = candidate.resolve()
            resolved.relative_to(state.root)
        except (ValueError, OSError):
            return None
        return resolved if resolved.is_file() else None

    # --- methods ----------------------------------------------------------------------
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        state = self.server.state
        url_path = self._url_path()
        behaviour = state.take_behaviour(url_path)
        label = "normal"
        if behaviour is not None:
            label = {"status": f"status_{behaviour.status}", "slow": f"slow:{behaviour.seconds:g}"}.get(
                behaviour.kind, behaviour.kind
            )
            if behaviour.kind == "status":
                return self._error(behaviour.status, self.responses.get(behaviour.status, ("Error",))[0], label)
            if behaviour.kind == "drop":
                self._record(None, label)
                self.close_connection = True
                with contextlib.suppress(OSError):  # the client may have gone already
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if behaviour.kind == "html_login":
                body = LOGIN_PAGE.format(path=html.escape(url_path)).encode()
                self._send_body(200, body, "text/html; charset=utf-8", {"Cache-Control": "no-store"})
                return self._record(200, label)
            if behaviour.kind == "slow" and state.stopping.wait(behaviour.seconds):  # stop() wakes a sleeping answer
                self.close_connection = True
                return self._record(None, label)

        file = self._file_for(url_path)
        if file is None:
            return self._error(404, "Not Found", label)
        stat = file.stat()
        etag = state.etag_for(file, stat)
        last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}

        if self._not_modified(etag, int(stat.st_mtime)):
            self.send_response(304)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            return self._record(304, label)

        content_type = (
            CONTENT_TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        self._send_body(200, file.read_bytes(), content_type, headers)
        self._record(200, label)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3)
            tags = [t.strip() for t in inm.split(",")]
            weak = [t[2:] if t.startswith("W/") else t for t in tags]
            return "*" in tags or etag in weak
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return mtime <= since
        return False


class ServerHandle:
    """A running server: .url (with the prefix), .origin, .port, .requests; stop() or `with`."""

    def __init__(self, server: _Server, thread: threading.Thread, host: str):
        self._server = server
        self._thread = thread
        self.host = host
        self.port = server.server_address[1]
        self.origin = f"http://{host}:{self.port}"
        self.url = self.origin + server.state.prefix
        self.root = server.state.root

    def url_for(self, relative: str) -> str:
        """The URL of a file given by its path under the served folder ('dudley/2026-10.csv')."""
        return f"{self.url}/{relative.lstrip('/')}"

    def _path(self, path_or_url: str) -> str:
        parts = urllib.parse.urlsplit(path_or_url)
        path = parts.path if parts.scheme else path_or_url
        return "/" + urllib.parse.unquote(path).lstrip("/")

    def set_behaviour(self, path_or_url: str, behaviour: str, *, times: int | None = None) -> None:
        """Make a path misbehave: status_500 (any status_NNN), slow:SECONDS, drop,
        html_login, or normal. times: only for the next N requests (None: until cleared)."""
        if times is not None and times < 1:
            raise ValueError("times must be 1 or more (or None: until cleared)")
        parsed = Behaviour.parse(behaviour, times)
        with self._server.state.lock:
            if parsed.kind == "normal":
                self._server.state.behaviours.pop(self._path(path_or_url), None)
            else:
                self._server.state.behaviours[self._path(path_or_url)] = parsed

    def clear_behaviours(self) -> None:
        with self._server.state.lock:
            self._server.state.behaviours.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def stop(self) -> None:
        if self._server.state.stopping.is_set():
            return
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        log.debug("stopped serving %s on %s", self.root, self.origin)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._server.state.stopping.is_set()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServerHandle {self.url} serving {self.root}>"


def serve_folder(root: Path | str, host: str = "127.0.0.1", port: int = 0, *, prefix: str = "") -> ServerHandle:
    """Serve the files under root over HTTP in a daemon thread; returns at once.

    prefix: a URL path the folder appears under ('/returns' serves root/dudley/2026-10.csv
    at /returns/dudley/2026-10.csv); handle.url includes it, so it can be the
    returns_base_url of the member registry's return sources.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder")
    prefix = ("/" + prefix.strip("/")) if prefix.strip("/") else ""
    state = _State(root=root, prefix=prefix)
    server = _Server((host, port), _Handler, state)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"demo-http-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    handle = ServerHandle(server, thread, host)
    log.debug("serving %s on %s", root, handle.url)
    return handle
