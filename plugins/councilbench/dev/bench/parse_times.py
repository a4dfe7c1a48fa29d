"""How long Airflow takes to parse each DAG file, measured the way the DAG processor
parses: a fresh process per file with the file's own `airflow.*` imports done first
(the processor pre-imports them: [dag_processor] parsing_pre_import_modules), then the
DagBag's own FileLoadStat duration for that file (what `airflow dags report` shows).
Everything else the file imports (councilbench modules, pendulum) counts against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import importlib, json, sys
from airflow.utils.file import iter_airflow_imports
path = sys.argv[1]
for module in iter_airflow_imports(path):
    importlib.import_module(module)
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=path)
print(json.dumps({"seconds": bag.dagbag_stats[0].duration.total_seconds(), "dags": sorted(bag.dag_ids),
                  "errors": {k: str(v)[:500] for k, v in bag.import_errors.items()}}))
"""


def dag_files(dags_dir: Path) -> list[Path]:
    return sorted(p for p in dags_dir.glob("*.py") if not p.name.startswith("_"))


def _parse_once(path: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(path)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"parsing {path.name} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["errors"]:
        raise RuntimeError(f"{path.name} has import errors: {out['errors']}")
    return out


def parse_time(path: Path, env: dict[str, str], rounds: int = 3) -> dict:
    """Seconds to parse one DAG file: the median of `rounds` parses, each in a fresh
    process (as each processor child is). Raises when the file does not parse."""
    runs = [_parse_once(path, env) for _ in range(rounds)]
    seconds = sorted(r["seconds"] for r in runs)
    return {"file": path.name, "seconds": seconds[len(seconds) // 2], "slowest": seconds[-1], "dags": runs[0]["dags"]}


def parse_times(dags_dir: Path, env: dict[str, str], rounds: int = 3) -> list[dict]:
    return [parse_time(p, env, rounds) for p in dag_files(dags_dir)]
