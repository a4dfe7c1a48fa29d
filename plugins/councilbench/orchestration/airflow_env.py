"""The local Airflow: its home under the state folder, its metadata in PostgreSQL and
its connections from the environment.

Airflow reads connections from AIRFLOW_CONN_<ID> variables, so the warehouse and the
SMTP server are configured here once, from the resolved warehouse and the settings
below, and every `airflow` command the project runs (the services, `airflow dags test`,
a developer's shell after `eval "$(councilbench airflow-env)"`) gets the same environment.

Airflow's metadata lives in a database of its own on the warehouse's server (by default
`<warehouse database>_airflow`, e.g. `councilbench_airflow`; COUNCILBENCH_AIRFLOW_DATABASE
names another), never in SQLite: under a scheduler, SQLite locks and the scheduler, the
dag-processor and the triggerer die with "database is locked".
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

from councilbench.core import settings
from councilbench.warehouse.connection import Warehouse

WAREHOUSE_CONN_ID = "warehouse"
SMTP_CONN_ID = "smtp_default"
UI_USER = "admin"
EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"

#: Metadata databases this process has already migrated (a migration costs ~3 s).
_MIGRATED: set[str] = set()


def airflow_home() -> Path:
    return settings.state_path("airflow")


def metadata_database(warehouse: Warehouse) -> Warehouse:
    """Airflow's metadata database: on the warehouse's server, named after it."""
    name = settings.get("COUNCILBENCH_AIRFLOW_DATABASE") or f"{warehouse.database}_airflow"
    return warehouse.with_database(name)


def sqlalchemy_url(database: Warehouse) -> str:
    """A postgresql:// URL as SQLAlchemy wants it for psycopg 3 (socket hosts included)."""
    return database.url.replace("postgresql://", "postgresql+psycopg://", 1)


def warehouse_connection(warehouse: Warehouse) -> str:
    """The warehouse as an Airflow connection in JSON form (handles socket hosts)."""
    p = warehouse.parts
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": p.host,
            "port": p.port,
            "login": p.user,
            "password": p.password,
            "schema": p.database,
        }
    )


def smtp_connection(host: str | None = None, port: int | None = None) -> str:
    """SMTP from COUNCILBENCH_SMTP_HOST/PORT (default: the local catcher on 127.0.0.1:8025)."""
    host = host or settings.smtp_host() or "127.0.0.1"
    port = port or settings.smtp_port()
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": host,
            "port": port,
            # retry_limit only re-connects after a dropped connection; a refused message
            # is retried by Airflow, so it is never sent twice by the hook.
            "extra": {
                "disable_tls": True,
                "disable_ssl": True,
                "from_email": settings.mail_from(),
                "timeout": 30,
                "retry_limit": 2,
            },
        }
    )


def shared_secrets(home: Path) -> dict[str, str]:
    """The keys every component must share (the scheduler signs task tokens that the
    api-server checks), generated once and kept in the Airflow home. A second machine
    joining as a worker needs the same values."""
    path = home / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.fernet import Fernet

    values = {
        "jwt_secret": secrets.token_urlsafe(32),
        "api_secret_key": secrets.token_urlsafe(32),
        "fernet_key": Fernet.generate_key().decode(),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def executor_environ(executor: str, metadata_url: str, base: dict | None = None) -> dict[str, str]:
    """The executor's settings: LocalExecutor on one machine; CeleryExecutor with Redis
    as broker (COUNCILBENCH_CELERY_BROKER_URL) and the metadata database as result backend."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)} (got {executor!r})")
    env = {"AIRFLOW__CORE__EXECUTOR": EXECUTORS[executor]}
    if executor == "celery":
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": settings.get("COUNCILBENCH_CELERY_BROKER_URL", env=base),
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": settings.get("COUNCILBENCH_CELERY_CONCURRENCY", env=base),
                # A message taken by a worker that died is handed to another after this long;
                # longer than any task here (a full dbt build takes minutes).
                "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "1800",
            }
        )
    return env


def airflow_environ(
    warehouse: Warehouse, base: dict | None = None, *, executor: str | None = None, api_port: int = 8080
) -> dict[str, str]:
    """os.environ plus what a project Airflow needs; explicit settings already set win."""
    env = dict(os.environ if base is None else base)
    home = airflow_home()
    keys = shared_secrets(home)
    executor = executor or settings.get("COUNCILBENCH_AIRFLOW_EXECUTOR", env=env)
    metadata_url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or sqlalchemy_url(metadata_database(warehouse))
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir()),
        # Not the repo's plugins/: Airflow would import councilbench/*.py as top-level
        # modules. The package is installed; the plugins folder stays empty.
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        **executor_environ(executor, metadata_url, env),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{UI_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "ui_passwords.json"),
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "councilbench.orchestration.airflow_env.hostname",
        # A task whose process died (a worker killed, a machine lost) is noticed within
        # a minute and retried, instead of Airflow's default five.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
        "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "180",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "30",
        # DAG files change only on deploy: parse them every two minutes, not every 30 s,
        # which on a small machine takes CPU from the tasks.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
        "AIRFLOW__SMTP__SMTP_STARTTLS": "False",
        "AIRFLOW__SMTP__SMTP_SSL": "False",
        "AIRFLOW__EMAIL__FROM_EMAIL": settings.mail_from(),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": warehouse_connection(warehouse),
        f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}": smtp_connection(),
        "COUNCILBENCH_STATE_DIR": str(settings.state_dir()),
        "COUNCILBENCH_HOME": str(settings.project_root()),
        "WAREHOUSE_URL": warehouse.url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(settings.project_root() / "plugins"), env.get("PYTHONPATH")])),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # The components start their children as `airflow ...` from PATH: put this
    # virtualenv's bin first even when called as .venv/bin/councilbench.
    env["PATH"] = prepend_path(str(Path(sys.executable).parent), env.get("PATH"))
    return env


def prepend_path(entry: str, value: str | None) -> str:
    """A PATH-like value with `entry` first and only once; every other entry stays, in
    order (a shell that evals `councilbench airflow-env` keeps ls, psql, ...)."""
    rest = [p for p in (value or "").split(os.pathsep) if p and p != entry]
    return os.pathsep.join([entry, *rest])


def hostname() -> str:
    """The name Airflow records on each task instance: the machine's, qualified by the
    worker's own name (COUNCILBENCH_WORKER_NAME) when several workers share a machine."""
    name = settings.get("COUNCILBENCH_WORKER_NAME")
    fqdn = socket.getfqdn()
    return f"{name}@{fqdn}" if name else fqdn


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
        [str(exe), *args],
        env=env,
        check=check,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
    )


def _metadata_server_database(env: dict[str, str]) -> Warehouse:
    url = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    scheme = url.split("://", 1)[0]
    if not scheme.startswith("postgresql"):
        raise ValueError(
            f"Airflow's metadata must be in PostgreSQL, not {scheme!r}: under a scheduler SQLite locks "
            "and the components die. Unset AIRFLOW__DATABASE__SQL_ALCHEMY_CONN to use "
            "<warehouse>_airflow on the warehouse's server."
        )
    return Warehouse("postgresql://" + url.split("://", 1)[1], "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")


def migrate(env: dict[str, str]) -> None:
    """Create Airflow's metadata database if it is missing, then create or upgrade its
    tables (`airflow db migrate`: about 3 s, a no-op when current). Once per process."""
    from councilbench.warehouse.bootstrap import create_database

    url = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    if url in _MIGRATED:
        return
    create_database(_metadata_server_database(env))
    proc = airflow(env, "db", "migrate", check=False, capture=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-20:])
        raise RuntimeError(f"airflow db migrate failed on {url.split('@')[-1]}:\n{tail}")
    _MIGRATED.add(url)


def reset_metadata(env: dict[str, str]) -> str:
    """Drop Airflow's metadata database and migrate a new one (DAG runs, task history,
    logs' index and UI state are lost; the warehouse is not touched)."""
    from councilbench.warehouse.bootstrap import drop_database

    database = _metadata_server_database(env)
    drop_database(database)
    _MIGRATED.discard(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    migrate(env)
    return database.database


def dags_test(env: dict[str, str], dag_id: str, *extra: str) -> float:
    """`airflow dags test` one DAG in this machine's process (no scheduler): the debugging
    path. Seconds taken; raises with the log's tail when the run fails."""
    import time

    started = time.monotonic()
    proc = airflow(env, "dags", "test", dag_id, *extra, check=False, capture=True)
    log = settings.state_path("logs") / f"{dag_id}.log"
    log.write_text(proc.stdout)
    if proc.returncode != 0 or "state=failed" in proc.stdout.replace(" ", ""):
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise RuntimeError(f"DAG {dag_id} failed (full log: {log}):\n{tail}")
    return round(time.monotonic() - started, 1)
