"""Running the explorer: `streamlit run` of app.py as a child process that the CLI waits
on (`councilbench explorer`) or that the demo, the bench and the tests start and stop
(`ExplorerServer`, always on 127.0.0.1). Nothing is fetched from the internet:
Streamlit's front end is in its wheel, the charts are Vega-Lite bundled with it, usage
statistics are off."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from councilbench.returns.parse import DEFAULT_MAX_BYTES
from councilbench.warehouse.connection import Warehouse

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8501
LOCAL_HOST = "127.0.0.1"
#: Streamlit's upload limit (server.maxUploadSize and the Check a file page's uploader, in MB):
#: twice the pipeline's own limit (returns.parse.DEFAULT_MAX_BYTES), so a file too large for the
#: pipeline still reaches it and gets the pipeline's own message.
UPLOAD_LIMIT_MB = 2 * DEFAULT_MAX_BYTES // (1024 * 1024)


def command(port: int, host: str = LOCAL_HOST) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
        "--server.maxUploadSize",
        str(UPLOAD_LIMIT_MB),
    ]


def environ(warehouse: Warehouse) -> dict[str, str]:
    """The app's environment: this one, with the warehouse it must read."""
    return {**os.environ, "WAREHOUSE_URL": warehouse.url}


def free_port() -> int:
    """A TCP port nothing listens on now (the tests and the bench run the app beside a
    developer's `make explorer`)."""
    with socket.socket() as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


class ExplorerServer:
    """The explorer in a child process on 127.0.0.1, from start() (it answers
    /_stcore/health) to stop()."""

    def __init__(self, warehouse: Warehouse, port: int = DEFAULT_PORT, log_path: Path | None = None):
        self.warehouse, self.port, self.log_path = warehouse, port, log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.port}"

    def page_url(self, page: str, **query: str) -> str:
        """The address of one page (its url path, e.g. "metric") with query parameters."""
        from urllib.parse import urlencode

        return f"{self.url}/{page}" + (f"?{urlencode(query)}" if query else "")

    def start(self, timeout: float = 60.0) -> ExplorerServer:
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            command(self.port),
            env=environ(self.warehouse),
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stop() ends Streamlit and anything it started
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the explorer exited at start (code {self.proc.returncode}); log: {self.log_path}")
            try:
                if requests.get(f"{self.url}/_stcore/health", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"the explorer did not answer on {self.url} within {timeout:g} s; log: {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> ExplorerServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_foreground(warehouse: Warehouse, port: int = DEFAULT_PORT, host: str = LOCAL_HOST) -> int:
    """What `councilbench explorer` runs: the app until Ctrl-C (or SIGTERM, in a container)."""
    where = "on this machine only" if host == LOCAL_HOST else f"on {host}:{port}"
    print(
        f"councilbench explorer: open http://127.0.0.1:{port} (listening {where}; reading the database "
        f"{warehouse.database} as the analyst role). Ctrl-C stops it.",
        flush=True,
    )
    proc = subprocess.Popen(command(port, host), env=environ(warehouse))
    # `docker stop` sends SIGTERM to this process: pass it on so Streamlit exits cleanly.
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reached Streamlit too (same process group)
        proc.wait()
        return 130
