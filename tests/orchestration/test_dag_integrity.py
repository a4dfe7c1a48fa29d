"""Every DAG loads without import errors, follows the project policy, and its file
imports nothing heavy at top level (the DAG processor parses these files constantly).

The wiring: each DAG announces the assets (councilbench.orchestration.assets, the one
place they are defined) it is declared to announce, from the task declared, after its
load; warehouse_build and reports are scheduled on exactly the assets declared, any one
of which starts a run. The declaration below is the expectation, not read off the DAGs:
a DAG file edited to drop an outlet or a schedule fails (shown on edited copies).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from councilbench.orchestration import assets
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


# --- the wiring ---------------------------------------------------------------------------------

#: dag_id -> {task_id: the asset it announces}. Every DAG is listed; a DAG or task not
#: listed announces nothing.
ANNOUNCES = {
    "reference_data": {"refresh_reference_data": assets.REFERENCE_DATA},
    "council_returns": {"announce_new_files": assets.COUNCIL_RETURNS},
    "public_sources": {
        "load_public_dataset": assets.PUBLIC_STATISTICS,
        "load_gender_pay_gap": assets.PUBLIC_STATISTICS,
    },
    "council_spend": {"announce_new_files": assets.COUNCIL_SPEND},
    "council_pay": {"announce_new_files": assets.COUNCIL_PAY},
    "warehouse_build": {"dbt_build": assets.MARTS},
    "reports": {"summarise": assets.REPORTS},
    "return_reminders": {},
}
#: A file loader announces after its load: announced before, the warehouse would build
#: without the files of the run.
ANNOUNCED_AFTER = {
    "council_returns": ("announce_new_files", "validate_and_load"),
    "council_spend": ("announce_new_files", "validate_and_load"),
    "council_pay": ("announce_new_files", "validate_and_load"),
}
#: dag_id -> the assets it is scheduled on, any one of which starts a run. A DAG not
#: listed is not scheduled on assets.
LISTENS = {
    "warehouse_build": [assets.COUNCIL_RETURNS, assets.PUBLIC_STATISTICS, assets.COUNCIL_SPEND, assets.COUNCIL_PAY],
    "reports": [assets.MARTS],
}


def defined_assets() -> dict[str, str]:
    """uri -> name in councilbench.orchestration.assets of every asset defined there."""
    from airflow.sdk import Asset

    return {a.uri: name for name, a in vars(assets).items() if isinstance(a, Asset)}


def leaves(condition) -> list:
    """The assets of a schedule condition (an asset, or any/all of them, nested)."""
    from airflow.sdk import Asset

    if isinstance(condition, Asset):
        return [condition]
    return [a for part in getattr(condition, "objects", []) for a in leaves(part)]


def conditions(condition) -> list:
    """The condition and every condition nested in it."""
    return [condition, *(c for part in getattr(condition, "objects", []) for c in conditions(part))]


def wiring_problems(dags: dict) -> list[str]:
    """How the DAGs differ from the declared wiring; [] when they match it."""
    from airflow.sdk import AssetAll

    defined = defined_assets()
    problems = [f"{d}: a DAG the wiring does not declare" for d in sorted(set(dags) - set(ANNOUNCES))]
    problems += [f"{d}: declared, but no such DAG" for d in sorted(set(ANNOUNCES) - set(dags))]
    announced: set[str] = set()
    for dag_id in sorted(set(dags) & set(ANNOUNCES)):
        dag = dags[dag_id]
        tasks = {t.task_id: t for t in dag.tasks}
        actual = {tid: {o.uri for o in t.outlets} for tid, t in tasks.items() if t.outlets}
        expected = {tid: {a.uri} for tid, a in ANNOUNCES[dag_id].items()}
        for tid in sorted(set(actual) | set(expected)):
            got, want = actual.get(tid, set()), expected.get(tid, set())
            if got != want:
                problems.append(f"{dag_id}.{tid} announces {sorted(got) or 'nothing'}, declared {sorted(want)}")
            problems += [f"{dag_id}.{tid} announces {u}, which assets.py does not define" for u in got - set(defined)]
            announced |= got
        if dag_id in ANNOUNCED_AFTER:
            task, load = ANNOUNCED_AFTER[dag_id]
            if task in tasks and load not in tasks[task].get_flat_relative_ids(upstream=True):
                problems.append(f"{dag_id}.{task} does not wait for {load}")
        condition = getattr(dag.timetable, "asset_condition", None)
        listened = sorted(a.uri for a in leaves(condition))
        declared = sorted(a.uri for a in LISTENS.get(dag_id, []))
        if listened != declared:
            problems.append(f"{dag_id} is scheduled on {listened or 'no asset'}, declared {declared or 'no asset'}")
        elif len(listened) > 1 and any(isinstance(c, AssetAll) for c in conditions(condition)):
            problems.append(f"{dag_id} waits for all of {listened}: any one must start it")
    problems += [
        f"assets.{name} ({uri}) is announced by no DAG" for uri, name in defined.items() if uri not in announced
    ]
    return problems


def test_every_dag_announces_and_listens_to_the_declared_assets(dagbag):
    assert wiring_problems(dagbag.dags) == []


#: Edits of a DAG file that break the wiring -> what the check must report.
BREAKAGES = {
    "council_returns without its outlet": (
        "council_returns.py",
        "@task(outlets=[COUNCIL_RETURNS])",
        "@task",
        "council_returns.announce_new_files announces nothing",
    ),
    "council_returns announcing before its load": (
        "council_returns.py",
        "    announce_new_files(outcomes)\n",
        "    announce_new_files(landed)\n",
        "council_returns.announce_new_files does not wait for validate_and_load",
    ),
    "public_sources' datasets without their outlet": (
        "public_sources.py",
        "@task(outlets=[PUBLIC_STATISTICS], map_index_template=",
        "@task(map_index_template=",
        "public_sources.load_public_dataset announces nothing",
    ),
    "warehouse_build deaf to pay": (
        "warehouse_build.py",
        "(COUNCIL_RETURNS | PUBLIC_STATISTICS | COUNCIL_SPEND | COUNCIL_PAY)",
        "(COUNCIL_RETURNS | PUBLIC_STATISTICS | COUNCIL_SPEND)",
        "warehouse_build is scheduled on",
    ),
    "warehouse_build waiting for every loader": (
        "warehouse_build.py",
        "(COUNCIL_RETURNS | PUBLIC_STATISTICS | COUNCIL_SPEND | COUNCIL_PAY)",
        "(COUNCIL_RETURNS | PUBLIC_STATISTICS | (COUNCIL_SPEND & COUNCIL_PAY))",
        "warehouse_build waits for all of",
    ),
    "reports no longer on the marts": (
        "reports.py",
        "schedule=[MARTS]",
        "schedule=None",
        "reports is scheduled on no asset",
    ),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_the_wiring_check_catches_a_broken_dag_file(breakage, dagbag, tmp_path):
    """The DAG file edited as a mistaken change would, parsed by Airflow in place of the
    real one: the check, which passes on the real files, names what broke."""
    from airflow.dag_processing.dagbag import DagBag

    name, old, new, reported = BREAKAGES[breakage]
    text = (DAGS_DIR / name).read_text()
    assert text.count(old) == 1, f"{name} no longer has {old!r}: update this breakage"
    (tmp_path / name).write_text(text.replace(old, new))
    edited = DagBag(dag_folder=str(tmp_path))
    assert edited.import_errors == {} and len(edited.dags) == 1
    problems = wiring_problems({**dagbag.dags, **edited.dags})
    assert any(p.startswith(reported) for p in problems), problems
