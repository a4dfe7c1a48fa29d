"""Every DAG loads without import errors, follows the project policy, and its file
imports nothing heavy at top level (the DAG processor parses these files constantly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from councilbench.orchestration.dag_defaults import OWNER, TAG

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
HEAVY = ["pandas", "great_expectations", "dbt", "numpy", "psycopg", "openpyxl", "requests"]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_dags_folder_has_dags():
    assert DAG_FILES, "no DAG files found"


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) >= len(DAG_FILES)


def test_every_dag_follows_policy(dagbag):
    problems = []
    for dag_id, dag in dagbag.dags.items():
        if TAG not in dag.tags:
            problems.append(f"{dag_id}: missing tag {TAG!r}")
        if not dag.doc_md:
            problems.append(f"{dag_id}: no doc_md explaining what it does")
        for t in dag.tasks:
            if t.owner != OWNER:
                problems.append(f"{dag_id}.{t.task_id}: owner {t.owner!r}, expected {OWNER!r}")
            if (t.retries or 0) < 1:
                problems.append(f"{dag_id}.{t.task_id}: no retries")
            if not t.on_failure_callback:
                problems.append(f"{dag_id}.{t.task_id}: no failure notifier")
    assert problems == []


def test_failure_notifier_mails_the_platform_team_not_a_council(dagbag):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    for dag in dagbag.dags.values():
        for t in dag.tasks:
            callbacks = t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback]
            notifiers = [c for c in callbacks if isinstance(c, SmtpNotifier)]
            assert notifiers, f"{dag.dag_id}.{t.task_id} has no SmtpNotifier"
            assert all(".council.example" not in str(n.to) for n in notifiers)


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_nothing_heavy(dag_file, state_dir):
    """Import the DAG file in a fresh interpreter and list the heavy modules it pulled in
    beyond what Airflow itself loads (with its metadata in PostgreSQL, Airflow's own start
    imports the database driver: the DAG processor has it already)."""
    probe = (
        "import importlib.util, json, sys\n"
        "import airflow.sdk, airflow.settings\n"
        "before = set(sys.modules)\n"
        f"spec = importlib.util.spec_from_file_location('dag_under_test', {str(dag_file)!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules and m not in before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={
            "AIRFLOW_HOME": str(state_dir / "airflow"),
            "PATH": "/usr/bin:/bin",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
        },
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
