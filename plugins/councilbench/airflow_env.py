"""The local Airflow: its home under the state folder and connections from the environment.

Airflow reads connections from AIRFLOW_CONN_<ID> variables, so the warehouse and the
SMTP server are configured here once, from the resolved warehouse and the settings
below, and every `airflow` command the project runs gets the same environment.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from councilbench import config
from councilbench.warehouse import Warehouse

WAREHOUSE_CONN_ID = "warehouse"
SMTP_CONN_ID = "smtp_default"
UI_USER = "admin"


def airflow_home() -> Path:
    return config.state_path("airflow")


def warehouse_connection(warehouse: Warehouse) -> str:
    """The warehouse as an Airflow connection in JSON form (handles socket hosts)."""
    p = warehouse.parts
    return json.dumps(
        {"conn_type": "postgres", "host": p.host, "port": p.port, "login": p.user,
         "password": p.password, "schema": p.database}
    )


def smtp_connection(host: str | None = None, port: int | None = None) -> str:
    """SMTP from COUNCILBENCH_SMTP_HOST/PORT (default: the local catcher on 127.0.0.1:8025)."""
    host = host or os.environ.get("COUNCILBENCH_SMTP_HOST", "127.0.0.1")
    port = port or int(os.environ.get("COUNCILBENCH_SMTP_PORT", "8025"))
    return json.dumps(
        {"conn_type": "smtp", "host": host, "port": port,
         # retry_limit only re-connects after a dropped connection; a refused message
         # is retried by Airflow, so it is never sent twice by the hook.
         "extra": {"disable_tls": True, "disable_ssl": True, "from_email": sender(),
                   "timeout": 30, "retry_limit": 2}}
    )


def sender() -> str:
    return os.environ.get("COUNCILBENCH_MAIL_FROM", "councilbench@westmidlands-benchmarking.example")


def airflow_environ(warehouse: Warehouse, base: dict | None = None) -> dict[str, str]:
    """os.environ plus what a project Airflow needs; explicit settings already set win."""
    env = dict(os.environ if base is None else base)
    home = airflow_home()
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(config.dags_dir()),
        # Not the repo's plugins/: Airflow would import councilbench/*.py as top-level
        # modules. The package is installed; the plugins folder stays empty.
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{UI_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "ui_passwords.json"),
        "AIRFLOW__SMTP__SMTP_STARTTLS": "False",
        "AIRFLOW__SMTP__SMTP_SSL": "False",
        "AIRFLOW__EMAIL__FROM_EMAIL": sender(),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_connection(warehouse),
        f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}": smtp_connection(),
        "COUNCILBENCH_STATE_DIR": str(config.state_dir()),
        "COUNCILBENCH_HOME": str(config.project_root()),
        "WAREHOUSE_URL": warehouse.url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(config.project_root() / "plugins"), env.get("PYTHONPATH")])),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # `airflow standalone` starts its components as `airflow ...` from PATH: put this
    # virtualenv's bin first even when called as .venv/bin/councilbench.
    venv_bin = str(Path(sys.executable).parent)
    if not env.get("PATH", "").startswith(venv_bin):
        env["PATH"] = os.pathsep.join(filter(None, [venv_bin, env.get("PATH")]))
    return env


def ui_password(env: dict[str, str]) -> str:
    """The UI login's password, generated once and kept in the Airflow home."""
    path = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    if path.exists():
        return json.loads(path.read_text())[UI_USER]
    password = secrets.token_urlsafe(12)
    path.write_text(json.dumps({UI_USER: password}))
    return password


def airflow(env: dict[str, str], *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    """Run an `airflow` command of this virtualenv with the project environment."""
    exe = Path(sys.executable).with_name("airflow")
    return subprocess.run(
        [str(exe), *args], env=env, check=check, text=True,
        stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None,
    )


def migrate(env: dict[str, str]) -> None:
    """Create or upgrade the SQLite metadata database (about 3 s; a no-op when current)."""
    airflow(env, "db", "migrate", capture=True)
