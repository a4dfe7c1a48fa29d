"""The `councilbench` command line answers with real help and clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXE = Path(sys.executable).with_name("councilbench")


def run(*args, env=None):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env)


def test_help_lists_every_command():
    out = run("--help")
    assert out.returncode == 0
    for command in ("db", "dbt", "docs", "airflow-env", "airflow", "demo"):
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
    out = run(
        "airflow-env",
        env={
            "PATH": "/usr/bin:/bin",
            "COUNCILBENCH_STATE_DIR": str(state_dir),
            "WAREHOUSE_URL": "postgresql://postgres@127.0.0.1:5432/councilbench",
        },
    )
    assert out.returncode == 0
    lines = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines())
    assert lines["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    # Airflow's metadata: a database of its own on the warehouse's server, never SQLite.
    assert (
        lines["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        == "postgresql+psycopg://postgres@127.0.0.1:5432/councilbench_airflow"
    )
    assert lines["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    # Every component signs and checks task tokens with the same secret.
    assert len(lines["AIRFLOW__API_AUTH__JWT_SECRET"].strip("'")) >= 32
    assert '"conn_type": "postgres"' in lines["AIRFLOW_CONN_WAREHOUSE"]
    assert '"conn_type": "smtp"' in lines["AIRFLOW_CONN_SMTP_DEFAULT"]
    # The components start their task processes as `airflow ...` from PATH.
    assert lines["PATH"].strip("'").startswith(str(EXE.parent))


def test_airflow_env_eval_in_bash_keeps_the_shell_path(state_dir):
    """The README's `eval "$(councilbench airflow-env)"` in a real bash with an ordinary
    PATH: the virtualenv's airflow comes first, ls and psql still resolve, and a second
    eval adds nothing."""
    shell_path = os.pathsep.join(
        dict.fromkeys(["/usr/local/bin", "/usr/bin", "/bin", str(Path(shutil.which("psql")).parent)])
    )
    script = (
        'eval "$("$1" airflow-env)" && command -v airflow && command -v ls && command -v psql '
        '&& eval "$("$1" airflow-env)" && echo "$PATH"'
    )
    out = subprocess.run(
        ["bash", "-c", script, "bash", str(EXE)],
        capture_output=True,
        text=True,
        env={
            "PATH": shell_path,
            "HOME": os.environ.get("HOME", "/tmp"),
            "COUNCILBENCH_STATE_DIR": str(state_dir),
            "WAREHOUSE_URL": "postgresql://postgres@127.0.0.1:5432/councilbench",
        },
    )
    assert out.returncode == 0, out.stderr
    airflow, ls, psql, path = out.stdout.splitlines()
    assert airflow == str(EXE.parent / "airflow")
    assert ls == shutil.which("ls", path=shell_path)
    assert psql == shutil.which("psql", path=shell_path)
    assert path == os.pathsep.join([str(EXE.parent), shell_path])


def test_returns_commands_take_a_council_by_short_name_like_validate():
    from councilbench.cli.main import build_parser

    parser = build_parser()
    month = parser.parse_args(
        ["returns", "run", "--period", "2026-10", "--council", "worcester", "--council", "e08000027"]
    )
    assert month.council == ["E07000237", "E08000027"]  # what the pipeline selects councils by
    back = parser.parse_args(["returns", "backfill", "--from", "2026-01", "--to", "2026-03", "--council", "Dudley"])
    assert back.council == ["E08000027"]
    for command in (["returns", "run", "--period", "2026-10"], ["validate", "x.csv", "--period", "2026-10"]):
        out = run(*command, "--council", "worcestre")
        assert out.returncode == 2
        assert "unknown council 'worcestre': give its GSS code (e.g. E08000027) or short name" in out.stderr


def test_spend_commands_check_periods_and_councils_before_running():
    from councilbench.cli.main import build_parser

    parsed = build_parser().parse_args(["spend", "run", "--period", "2026-Q1", "--council", "dudley"])
    assert (parsed.period, parsed.council) == ("2026-Q1", ["E08000027"])
    out = run("spend", "run", "--period", "March 2026")
    assert out.returncode == 2
    assert "'March 2026' is not a month (YYYY-MM, e.g. 2026-03) or a quarter (YYYY-Qn)" in out.stderr
    out = run("spend", "backfill", "--from", "2026-Q1", "--to", "2026-03")
    assert out.returncode == 2 and "'2026-Q1' is not a month: write YYYY-MM" in out.stderr


def test_spend_run_reruns_a_period_and_changes_nothing_already_loaded(spend_warehouse, returns_server):
    import json

    env = {**os.environ, "WAREHOUSE_URL": spend_warehouse.url}
    out = run(
        "spend", "run", "--period", "2026-03", "--council", "staffordshire", "--no-email",
        "--spend-base-url", f"{returns_server.url}/shared-spend", env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["period"] == "2026-03" and summary["files"] == 1
    assert summary["lines_loaded"] == 0  # the same file again: already loaded, nothing new


def test_spend_review_lists_the_judgement_matches_with_their_spend(spend_warehouse, tmp_path, monkeypatch, capsys):
    import csv

    from councilbench.cli.main import main
    from councilbench.warehouse.connection import connect

    monkeypatch.setenv("WAREHOUSE_URL", spend_warehouse.url)
    assert main(["spend", "review", "--out", str(tmp_path / "review.csv")]) == 0
    assert "supplier matches to review" in capsys.readouterr().out
    with open(tmp_path / "review.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["method"] for r in rows} <= {"fuzzy", "truncated_prefix"}
    scores = [float(r["score"]) for r in rows if r["score"]]
    assert scores == sorted(scores)  # least certain first
    with connect(spend_warehouse, role="analyst") as conn:
        expected = dict(
            conn.execute(
                """select published_supplier_name, sum(net_amount) from marts.fct_spend_line
                   where supplier_match_method in ('fuzzy', 'truncated_prefix') group by 1"""
            ).fetchall()
        )
    assert {r["raw_name"]: float(r["net_amount"]) for r in rows} == {k: float(v) for k, v in expected.items()}
    assert main(["spend", "review", "--all", "--out", str(tmp_path / "all.csv")]) == 0
    with open(tmp_path / "all.csv", newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) > len(rows)
