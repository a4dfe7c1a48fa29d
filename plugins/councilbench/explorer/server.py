"""Running the explorer: `streamlit run` of app.py on 127.0.0.1, as a child process that
the CLI waits on (`councilbench explorer`) or that the demo, the bench and the tests start
and stop (`ExplorerServer`). Nothing is fetched from the internet: Streamlit's front end is
in its wheel, the charts are Vega-Lite bundled with it, usage statistics are off."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from councilbench.warehouse.connection import Warehouse

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8501


def command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        "127.0.0.1",
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
    ]


def environ(warehouse: Warehouse) -> dict[str, str]:
    """The app's environment: this one, with the warehouse it must read."""
    return {**os.environ, "WAREHOUSE_URL": warehouse.url}


class ExplorerServer:
    """The explorer in a child process, from start() (it answers /_stcore/health) to stop()."""

    def __init__(self, warehouse: Warehouse, port: int = DEFAULT_PORT, log_path: Path | None = None):
        self.warehouse, self.port, self.log_path = warehouse, port, log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ExplorerServer:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        self._out = out
        self.proc = subprocess.Popen(
            command(self.port),
            env=environ(self.warehouse),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the explorer exited at start (code {self.proc.returncode}); log: {self.log_path}")
            try:
                if requests.get(f"{self.url}/_stcore/health", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"the explorer did not answer on {self.url} within {timeout:g} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.log_path and hasattr(self, "_out"):
            self._out.close()

    def __enter__(self) -> ExplorerServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_foreground(warehouse: Warehouse, port: int = DEFAULT_PORT) -> int:
    """What `councilbench explorer` runs: the app until Ctrl-C."""
    print(
        f"councilbench explorer on http://127.0.0.1:{port} (reading {warehouse.database} as the analyst role); "
        "Ctrl-C stops it"
    )
    return subprocess.call(command(port), env=environ(warehouse))
