"""Real faults for the fault tests: a TCP proxy that sees every byte between a client and
a server, counts HTTP requests on the wire, and can cut a connection at a chosen point.

Why a proxy rather than the servers' own logs: demo_http records a request only once it
has answered it, so a request the client gave up on (a read timeout) never appears in
its log; the proxy sees the request as it is sent. And a proxy in front of PostgreSQL
can drop the loader's connection in the middle of a COPY, which no setting of the
server can do.

    with TcpProxy("127.0.0.1", server.port) as proxy:
        fetch_http(f"http://127.0.0.1:{proxy.port}/dudley/2026-10.csv")
        proxy.http_requests()          # [("GET", "/dudley/2026-10.csv"), ...]

    cut = TcpProxy("127.0.0.1", 5432, cut_client_data=cut_before_copy_done("raw.council_return_rows"))
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable

#: (bytes the client sent so far on this connection, the new chunk) -> where to cut the
#: new chunk (forward chunk[:i], then drop both sides), or None to forward it whole.
CutRule = Callable[[bytes, bytes], "int | None"]

_REQUEST_LINE = re.compile(rb"(?:\A|\r\n\r\n)([A-Z]+) (\S+) HTTP/1\.[01]\r\n")


class TcpProxy:
    """Forward 127.0.0.1:<port> to upstream, in background threads, recording what the
    clients send. `cut_client_data` decides, chunk by chunk, when to drop a connection."""

    def __init__(self, upstream_host: str, upstream_port: int, *, cut_client_data: CutRule | None = None):
        self.upstream = (upstream_host, upstream_port)
        self.cut_client_data = cut_client_data
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self.client_streams: list[bytearray] = []  # per connection: every byte the client sent
        self.cuts = 0  # connections dropped by cut_client_data
        self._thread = threading.Thread(target=self._accept_loop, name=f"tcp-proxy-{self.port}", daemon=True)
        self._thread.start()

    # --- what went through --------------------------------------------------------------
    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.client_streams)

    def http_requests(self, path: str | None = None) -> list[tuple[str, str]]:
        """(method, path) of every HTTP request clients sent, in order (keep-alive too)."""
        with self._lock:
            streams = [bytes(s) for s in self.client_streams]
        found = [(m.group(1).decode(), m.group(2).decode()) for s in streams for m in _REQUEST_LINE.finditer(s)]
        return [r for r in found if path is None or r[1] == path]

    # --- plumbing -------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            stream = bytearray()
            with self._lock:
                self._sockets += [client, server]
                self.client_streams.append(stream)
            threading.Thread(target=self._pump, args=(client, server, stream), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, record: bytearray | None) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                if record is not None:
                    cut = self.cut_client_data(bytes(record), chunk) if self.cut_client_data else None
                    with self._lock:
                        record += chunk if cut is None else chunk[:cut]
                    if cut is not None:
                        if cut:
                            dst.sendall(chunk[:cut])
                        with self._lock:
                            self.cuts += 1
                        _drop(src)
                        _drop(dst)
                        return
                dst.sendall(chunk)
        except OSError:
            pass
        # One side closed: pass the close on, so the other side sees what a real peer would.
        for s in (dst, src):
            with contextlib.suppress(OSError):  # that side may be closed already
                s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            _drop(s)
        self._thread.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _drop(s: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected, or closed already
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()


#: PostgreSQL's CopyDone message: 'c' and a length of 4 (frontend protocol v3).
COPY_DONE = b"c\x00\x00\x00\x04"


def cut_before_copy_done(table: str) -> CutRule:
    """Drop the connection after the client has streamed every row of a COPY into
    `table` but before it ends the COPY: the server holds the rows in an open
    transaction and never hears the end of them. Only the first such COPY is cut."""
    marker = f"copy {table}".encode()
    fired = threading.Event()

    def rule(sent: bytes, chunk: bytes) -> int | None:
        if fired.is_set():
            return None
        start = sent.lower().rfind(marker)
        if start < 0:
            at = chunk.lower().find(marker)
            if at < 0:
                return None
            done = chunk.find(COPY_DONE, at)
        else:
            done = chunk.find(COPY_DONE)
        if done < 0:
            return None
        fired.set()
        return done

    return rule
