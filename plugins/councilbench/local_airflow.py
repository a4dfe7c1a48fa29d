"""`make airflow`: Airflow 3 standalone (api-server, scheduler, dag-processor,
triggerer) on this machine, SQLite metadata under the state folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from councilbench.airflow_env import UI_USER, airflow_environ, migrate, ui_password
from councilbench.warehouse import Warehouse


def run_standalone(warehouse: Warehouse, port: int = 8080) -> int:
    env = airflow_environ(warehouse)
    env.setdefault("AIRFLOW__API__PORT", str(port))
    env.setdefault("AIRFLOW__API__HOST", "127.0.0.1")
    migrate(env)
    password = ui_password(env)
    print(
        f"Airflow UI:  http://127.0.0.1:{env['AIRFLOW__API__PORT']}\n"
        f"login:       {UI_USER} / {password}\n"
        f"home:        {env['AIRFLOW_HOME']}\n"
        "Ctrl-C stops every Airflow process.",
        flush=True,
    )
    exe = Path(sys.executable).with_name("airflow")
    proc = subprocess.Popen([str(exe), "standalone"], env=env, start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # SIGINT to the whole group, then SIGTERM: SIGTERM alone leaves orphaned workers.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            return proc.wait()
