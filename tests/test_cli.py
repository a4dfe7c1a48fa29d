"""The `councilbench` command line answers with real help and clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

EXE = Path(sys.executable).with_name("councilbench")


def run(*args, env=None):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env)


def test_help_lists_every_command():
    out = run("--help")
    assert out.returncode == 0
    for command in ("db", "dbt", "airflow-env", "airflow", "demo"):
        assert f"    {command}" in out.stdout
    assert "WAREHOUSE_URL" in out.stdout


def test_db_help_explains_actions():
    out = run("db", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())  # argparse wraps to the terminal width
    assert "schemas (raw, ops, reference, staging, intermediate, marts)" in text


def test_bad_warehouse_url_is_one_clear_line():
    out = run("db", "up", env={"WAREHOUSE_URL": "mysql://nope@localhost/x", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1
    assert out.stderr.strip() == "councilbench db: error: Warehouse URL must start with postgresql:// (got 'mysql')"


def test_airflow_env_exports_connections(state_dir):
    out = run("airflow-env", env={"PATH": "/usr/bin:/bin", "COUNCILBENCH_STATE_DIR": str(state_dir),
                                  "WAREHOUSE_URL": "postgresql://postgres@127.0.0.1:5432/councilbench"})
    assert out.returncode == 0
    lines = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines())
    assert lines["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    # Airflow's metadata: a database of its own on the warehouse's server, never SQLite.
    assert lines["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == \
        "postgresql+psycopg://postgres@127.0.0.1:5432/councilbench_airflow"
    assert lines["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    # Every component signs and checks task tokens with the same secret.
    assert len(lines["AIRFLOW__API_AUTH__JWT_SECRET"].strip("'")) >= 32
    assert '"conn_type": "postgres"' in lines["AIRFLOW_CONN_WAREHOUSE"]
    assert '"conn_type": "smtp"' in lines["AIRFLOW_CONN_SMTP_DEFAULT"]
    # The components start their task processes as `airflow ...` from PATH.
    assert lines["PATH"].strip("'").startswith(str(EXE.parent))
