"""Airflow as it is deployed, on this machine: the api-server, scheduler, dag-processor
and triggerer as separate processes with their metadata in PostgreSQL, running tasks with
the LocalExecutor, or with the CeleryExecutor and N Celery workers on Redis.

`make airflow`, `make demo`, `make bench` and the real-scheduler tests all start Airflow
through this one class, so the path they exercise is the one engineers run:

    with AirflowServices(warehouse, executor="celery", workers=2) as airflow:
        run = airflow.api.trigger_month("council_returns", "2026-10")

Each component runs in its own process group and writes its own log under
<state>/logs/airflow/. Stopping sends SIGTERM to each group (a Celery worker finishes
its tasks: warm shutdown), then SIGKILL to whatever is left after the grace period.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from councilbench.core import settings
from councilbench.orchestration.airflow_env import (
    UI_USER,
    airflow_environ,
    migrate,
    ui_password,
)
from councilbench.orchestration.api import AirflowApi
from councilbench.warehouse.connection import Warehouse

log = logging.getLogger(__name__)

CORE_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Component:
    """One long-running Airflow process."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("airflow")
        with open(self.log_path, "ab") as out:
            out.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} starting airflow {' '.join(self.args)}\n".encode())
            self.proc = subprocess.Popen(
                [str(exe), *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):  # the whole group has exited
                os.killpg(self.proc.pid, sig)

    def stop(self, grace: float = 30.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log.warning("airflow %s did not stop within %.0f s: killing it", self.name, grace)
        self.signal_group(signal.SIGKILL)  # and any child the component left behind
        self.proc.wait()

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(text[-lines:])


@dataclass
class HealthWatch:
    """Samples /api/v2/monitor/health in a thread; every sample where a component was
    not healthy is kept (a test asserts there were none). While `expect_down(...)` is
    active (a component killed on purpose), samples where only those are unhealthy are
    kept apart as expected."""

    api: AirflowApi
    interval: float = 5.0
    samples: int = 0
    problems: list[tuple[float, list[str]]] = field(default_factory=list)
    expected: list[tuple[float, list[str]]] = field(default_factory=list)
    _allowed: frozenset = frozenset()
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @contextlib.contextmanager
    def expect_down(self, *components: str):
        self._allowed = frozenset(components)
        try:
            yield
        finally:
            self._allowed = frozenset()

    def start(self) -> HealthWatch:
        self._thread = threading.Thread(target=self._run, name="airflow-health-watch", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            allowed = self._allowed
            bad = self.api.unhealthy()
            self.samples += 1
            if bad and set(bad) <= allowed:
                self.expected.append((time.time(), bad))
            elif bad:
                self.problems.append((time.time(), bad))

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.interval * 3)


class AirflowServices:
    """Start, watch and stop a whole local Airflow."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        executor: str = "local",
        workers: int = 2,
        port: int | None = 8080,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.executor = executor
        self.port = port or free_port()
        # Explicit settings win (airflow_environ only fills in what is not set).
        self.env = airflow_environ(warehouse, base={**os.environ, **(env or {})}, executor=executor, api_port=self.port)
        # Log servers of their own, so two Airflows (a developer's and the tests') never clash.
        self.env.setdefault("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", str(8793 if port == 8080 else free_port()))
        self.env.setdefault("AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT", str(8794 if port == 8080 else free_port()))
        self.log_dir = log_dir or settings.state_path("logs", "airflow")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.components: dict[str, Component] = {}
        for name in CORE_COMPONENTS:
            args = (
                ["api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
                if name == "api-server"
                else [name]
            )
            self.components[name] = Component(name, args, self.env, self.log_dir / f"{name}.log")
        if executor == "celery":
            for n in range(1, workers + 1):
                self.add_worker(n)
        self.password = ""
        self.api: AirflowApi | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def add_worker(self, n: int) -> Component:
        """A Celery worker with a name of its own (on its task instances' hostname too)
        and its own log server port."""
        name = f"celery-worker-{n}"
        env = {
            **self.env,
            "COUNCILBENCH_WORKER_NAME": name,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        args = ["celery", "worker", "--celery-hostname", f"{name}@%h", "--without-gossip", "--without-mingle"]
        self.components[name] = Component(name, args, env, self.log_dir / f"{name}.log")
        return self.components[name]

    @property
    def workers(self) -> list[str]:
        return [n for n in self.components if n.startswith("celery-worker-")]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running_elsewhere(self) -> list[str]:
        """Airflow components already heartbeating on this metadata database (another
        `make airflow`, say): two schedulers and two dag-processors on one database would
        fight over the same runs."""
        import psycopg

        url = self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url) as conn:
            if conn.execute("select to_regclass('job') is null").fetchone()[0]:
                return []
            return [
                f"{job} on {host}"
                for job, host in conn.execute(
                    """select job_type, hostname from job where state = 'running'
                   and latest_heartbeat > now() - interval '30 seconds' order by 1"""
                ).fetchall()
            ]

    def start(self, *, timeout: float = 180.0) -> AirflowServices:
        migrate(self.env)
        others = self.running_elsewhere()
        if others:
            raise RuntimeError(
                "an Airflow is already running on the metadata database "
                f"{self.env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'].rsplit('/', 1)[-1]} "
                f"({', '.join(others)}): stop it (make airflow?) or set COUNCILBENCH_AIRFLOW_DATABASE"
            )
        self.password = ui_password(self.env)
        self.api = AirflowApi(self.url, UI_USER, self.password)
        for component in self.components.values():
            component.start()
        try:
            self.wait_healthy(timeout=timeout)
            self.wait_for_dags(timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float = 30.0) -> None:
        # Workers first (they finish what they hold), then the scheduler, then the rest.
        order = [*self.workers, "scheduler", "triggerer", "dag-processor", "api-server"]
        for name in order:
            self.components[name].stop(grace=grace)

    def __enter__(self) -> AirflowServices:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one component's whole process group (as a crash or a lost machine would)."""
        component = self.components[name]
        component.signal_group(sig)
        if component.proc is not None:
            component.proc.wait(timeout=30)

    def restart(self, name: str) -> None:
        component = self.components[name]
        if component.running:
            component.stop()
        component.start()

    # --- waiting --------------------------------------------------------------------------
    def _died(self) -> list[str]:
        return [n for n, c in self.components.items() if c.proc is not None and not c.running]

    def _fail(self, what: str) -> None:
        tails = "\n".join(f"--- {n} ({c.log_path}):\n{c.log_tail()}" for n, c in self.components.items())
        raise RuntimeError(f"Airflow {what}\n{tails}")

    def wait_healthy(self, *, timeout: float = 180.0) -> None:
        """Until the health endpoint calls every component healthy."""
        deadline = time.monotonic() + timeout
        while True:
            if self._died():
                self._fail(f"component(s) exited during start-up: {', '.join(self._died())}")
            bad = self.api.unhealthy()
            if not bad:
                return
            if time.monotonic() > deadline:
                self._fail(f"not healthy after {timeout:.0f} s: {', '.join(bad)}")
            time.sleep(1.0)

    def wait_for_dags(self, *, timeout: float = 180.0) -> list[str]:
        """Until every DAG file in the DAGs folder is parsed (and none failed to import)."""
        expected = {p.stem for p in settings.dags_dir().glob("*.py")}
        deadline = time.monotonic() + timeout
        while True:
            errors = self.api.import_errors()
            if errors:
                self._fail(
                    "could not import DAG files: "
                    + "; ".join(f"{e['filename']}: {e['stack_trace'][-300:]}" for e in errors)
                )
            dags = set(self.api.dag_ids())
            if expected <= dags:
                return sorted(dags)
            if time.monotonic() > deadline:
                self._fail(f"DAGs not parsed after {timeout:.0f} s: missing {sorted(expected - dags)}")
            time.sleep(1.0)

    def watch_health(self, interval: float = 5.0) -> HealthWatch:
        return HealthWatch(self.api, interval).start()

    def describe(self) -> str:
        lines = [
            f"Airflow UI:  {self.url}",
            f"login:       {UI_USER} / {self.password}",
            f"executor:    {self.env['AIRFLOW__CORE__EXECUTOR']}"
            + (
                f" with {len(self.workers)} workers on {self.env['AIRFLOW__CELERY__BROKER_URL']}"
                if self.workers
                else ""
            ),
            f"metadata:    {self.env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'].split('@')[-1]} (PostgreSQL)",
            f"home:        {self.env['AIRFLOW_HOME']}",
            f"logs:        {self.log_dir}/<component>.log",
        ]
        return "\n".join(lines)


def stop_on_signals(*signals: int) -> None:
    """Turn these signals into KeyboardInterrupt. SIGINT too: a shell starting us in the
    background without job control (make ... &, nohup) leaves SIGINT ignored."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in signals:
        signal.signal(sig, interrupt)


def run_foreground(warehouse: Warehouse, *, port: int = 8080, executor: str = "local", workers: int = 2) -> int:
    """`make airflow`: start everything, report health changes, stop on Ctrl-C or SIGTERM."""
    stop_on_signals(signal.SIGINT, signal.SIGTERM)
    services = AirflowServices(warehouse, executor=executor, workers=workers, port=port)
    services.start()
    print(services.describe() + "\nCtrl-C (or SIGTERM) stops every Airflow process.", flush=True)
    last: list[str] = []
    try:
        while True:
            time.sleep(10)
            died = services._died()
            for name in died:
                print(
                    f"airflow {name} exited (code {services.components[name].proc.returncode}); restarting it; "
                    f"log: {services.components[name].log_path}",
                    flush=True,
                )
                services.components[name].start()
            bad = services.api.unhealthy()
            if bad != last:
                print(
                    f"{time.strftime('%H:%M:%S')} " + (f"unhealthy: {', '.join(bad)}" if bad else "all healthy"),
                    flush=True,
                )
                last = bad
    except KeyboardInterrupt:
        print("stopping Airflow ...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        services.stop()
        print("Airflow stopped", flush=True)
    return 0
