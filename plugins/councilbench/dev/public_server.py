"""A small NOMIS-like and GOV.UK-like HTTP server on 127.0.0.1, for tests and the demo.

It serves a folder laid out as ``demo_data.write_sources`` writes it:
- ``GET /api/v01/dataset/<ID>.data.csv?...`` answers the NOMIS query shape from
  ``nomis/<ID>.data.csv`` (the dataset's full data CSV, every line kept byte for byte):
  geography by GSS code, date, any dimension (gender, age, measure, c_age, measures),
  ``select``, and paging with ``RecordOffset``/``RecordLimit``. Answers are capped at
  ``cell_cap`` cells and cut short silently with HTTP 200, as NOMIS does, with
  RECORD_OFFSET and RECORD_COUNT filled in;
- ``GET /files/<path>`` serves ``<path>`` from the folder byte for byte, with an ETag and
  Last-Modified, answering 304 to a matching conditional request;
- ``GET /viewing/download-data/<year>`` answers like GOV.UK's gender pay gap service with
  ``gpg/UK Gender Pay Gap Data - <year> to <year + 1>.csv`` (the same way, named in
  Content-Disposition).

Faults for tests, by path prefix: ``fail(prefix, times, status)``, ``delay(prefix,
seconds, times)``; ``ignore_offset = True`` makes paging impossible (the first page
again). Every request is logged in ``requests``.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


def raw_fields(line: str) -> list[str]:
    """Split one CSV line into fields exactly as written (quotes kept)."""
    out, i, n = [], 0, len(line)
    while True:
        if i < n and line[i] == '"':
            j = i + 1
            while True:
                j = line.index('"', j)
                if j + 1 < n and line[j + 1] == '"':
                    j += 2
                    continue
                break
            out.append(line[i : j + 1])
            i = j + 1
        else:
            j = line.find(",", i)
            j = n if j < 0 else j
            out.append(line[i:j])
            i = j
        if i >= n:
            return out
        i += 1
        if i == n:
            out.append("")
            return out


def unquoted(field: str) -> str:
    return field[1:-1].replace('""', '"') if field.startswith('"') else field


@dataclass
class _Fault:
    prefix: str
    times: int
    status: int = 500
    delay: float = 0.0


class SourceServer:
    def __init__(self, folder: Path, *, cell_cap: int = 25_000, host: str = "127.0.0.1", port: int = 0):
        self.folder = Path(folder)
        self.cell_cap = cell_cap
        self.ignore_offset = False
        self.requests: list[str] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._tables: dict[Path, tuple] = {}  # data CSV -> (version, header, rows)
        self._parsing = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, relative: str) -> str:
        return f"{self.base_url}/files/{relative.lstrip('/')}"

    @property
    def gpg_url(self) -> str:
        """COUNCILBENCH_GPG_URL for this server: GOV.UK's address shape, {year} to fill."""
        return f"{self.base_url}{GPG_PATH}{{year}}"

    def fail(self, prefix: str, times: int = 10**6, status: int = 500) -> None:
        self._faults.append(_Fault(prefix, times, status=status))

    def delay(self, prefix: str, seconds: float, times: int = 1) -> None:
        self._faults.append(_Fault(prefix, times, status=0, delay=seconds))

    def clear(self) -> None:
        self._faults.clear()
        self.ignore_offset = False
        self.requests.clear()

    def requests_to(self, prefix: str) -> list[str]:
        return [r for r in self.requests if r.startswith(prefix)]

    def start(self) -> SourceServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="source-server", daemon=True)
        self._thread.start()
        threading.Thread(target=self._warm, name="source-server-warm", daemon=True).start()
        return self

    def _warm(self) -> None:
        """Parse the NOMIS files before the first query asks (a big file takes a few tenths of a second)."""
        for source in sorted((self.folder / "nomis").glob("*.data.csv")):
            self._table(source)

    def _table(self, source: Path) -> tuple[list[str], list[list[str]]]:
        """A data CSV's header (upper case) and rows (fields as written), parsed once per
        version of the file, so a page is answered without reading the whole file again."""
        stat = source.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        with self._parsing:
            cached = self._tables.get(source)
            if cached is None or cached[0] != version:
                lines = [ln for ln in source.read_text(encoding="utf-8").split("\n") if ln]
                header = [unquoted(h).upper() for h in raw_fields(lines[0])]
                cached = self._tables[source] = (version, header, [raw_fields(ln) for ln in lines[1:]])
        return cached[1], cached[2]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SourceServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _fault_for(self, path: str) -> _Fault | None:
        with self._lock:
            for f in self._faults:
                if path.startswith(f.prefix) and f.times > 0:
                    f.times -= 1
                    return f
        return None

    # --- answering -----------------------------------------------------------------------

    def nomis_answer(self, dataset: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        source = self.folder / "nomis" / f"{dataset}.data.csv"
        if not source.exists():
            return 404, f"Cannot find dataset {dataset}\n".encode()
        header, rows = self._table(source)
        params = {k.lower(): ",".join(v) for k, v in query.items()}

        def keep(column: str, wanted: str, alt: str | None = None):
            values = {w.strip() for w in wanted.split(",") if w.strip()}
            i = header.index(column)
            j = header.index(alt) if alt and alt in header else None
            return [r for r in rows if unquoted(r[i]) in values or (j is not None and unquoted(r[j]) in values)]

        if "geography" in params:
            rows = keep("GEOGRAPHY_CODE", params["geography"], "GEOGRAPHY")
        if "date" in params:
            wanted = params["date"]
            if wanted == "latest":
                wanted = max(unquoted(r[header.index("DATE_CODE")]) for r in rows) if rows else ""
            rows = keep("DATE_CODE", wanted)
        for key, wanted in params.items():
            if key.upper() in header and key not in ("geography", "date"):
                rows = keep(key.upper(), wanted)
        total = len(rows)
        offset = 0 if self.ignore_offset else int(params.get("recordoffset") or 0)
        limit = min(int(params.get("recordlimit") or self.cell_cap), self.cell_cap)
        page = rows[offset : offset + limit]
        select = [s.strip().upper() for s in params["select"].split(",")] if params.get("select") else header
        missing = [s for s in select if s not in header]
        if missing:
            return 400, f"Unknown select column(s): {', '.join(missing)}\n".encode()
        index = [header.index(s) for s in select]
        out = [",".join(f'"{s}"' for s in select)]
        for n, r in enumerate(page):
            r = list(r)
            r[header.index("RECORD_OFFSET")] = str(offset + n)
            r[header.index("RECORD_COUNT")] = str(total)
            out.append(",".join(r[i] for i in index))
        return 200, ("\n".join(out) + "\n").encode("utf-8")

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: tests read server.requests instead
                pass

            def _send(self, status: int, body: bytes = b"", headers: dict | None = None):
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout): nothing to answer

            def do_GET(self):
                split = urlsplit(self.path)
                path = unquote(split.path)
                server.requests.append(self.path)
                fault = server._fault_for(path)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                elif fault:
                    return self._send(fault.status, b"Internal Server Error\n", {"Content-Type": "text/plain"})
                if path.startswith("/api/v01/dataset/") and path.endswith(".data.csv"):
                    dataset = path[len("/api/v01/dataset/") : -len(".data.csv")]
                    status, body = server.nomis_answer(dataset, parse_qs(split.query, keep_blank_values=True))
                    return self._send(status, body, {"Content-Type": "text/csv"})
                if path.startswith("/files/"):
                    return self._send_file((server.folder / path[len("/files/") :]).resolve())
                if path.startswith(GPG_PATH) and path[len(GPG_PATH) :].isdigit():
                    start = int(path[len(GPG_PATH) :])
                    name = f"UK Gender Pay Gap Data - {start} to {start + 1}.csv"
                    return self._send_file((server.folder / "gpg" / name).resolve(), download_name=name)
                return self._send(404, b"Not Found\n")

            def _send_file(self, target: Path, download_name: str | None = None):
                """The file byte for byte, with an ETag (304 to a matching If-None-Match)."""
                if server.folder.resolve() not in target.parents or not target.is_file():
                    return self._send(404, b"Not Found\n")
                body = target.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                modified = email.utils.formatdate(target.stat().st_mtime, usegmt=True)
                headers = {"ETag": etag, "Last-Modified": modified, "Content-Type": _media_type(target.suffix)}
                if download_name:
                    headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", {"ETag": etag})
                return self._send(200, body, headers)

        return Handler


#: GOV.UK's gender pay gap download: /viewing/download-data/<first year> answers
#: gpg/UK Gender Pay Gap Data - <year> to <year + 1>.csv, as the service names it.
GPG_PATH = "/viewing/download-data/"


def _media_type(suffix: str) -> str:
    return {
        ".ods": "application/vnd.oasis.opendocument.spreadsheet",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".csv": "text/csv",
    }.get(suffix.lower(), "application/octet-stream")
