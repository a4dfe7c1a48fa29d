"""Where things live: the project folders and the one ignored state folder.

Every generated file (landing copies, Airflow home, GX results, reports, embedded
Postgres data) goes under the state folder, never into the tracked tree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

#: Role names are cluster-wide in Postgres, so they carry the project's name to avoid
#: clashing with other databases on a shared server.
LOADER_ROLE = "councilbench_loader"
TRANSFORMER_ROLE = "councilbench_transformer"
ANALYST_ROLE = "councilbench_analyst"
ROLES = {"loader": LOADER_ROLE, "transformer": TRANSFORMER_ROLE, "analyst": ANALYST_ROLE}

#: Schema -> the role that owns (writes) it. Seeds land in `reference`, which the
#: analyst cannot read because it holds the councils' data contacts.
SCHEMA_OWNERS = {
    "raw": "loader",
    "ops": "loader",
    "reference": "transformer",
    "staging": "transformer",
    "intermediate": "transformer",
    "marts": "transformer",
}

DEFAULT_DATABASE = "councilbench"


def project_root() -> Path:
    """The folder holding dags/, dbt_project/ and expectations/.

    COUNCILBENCH_HOME wins (containers mount the folders elsewhere); otherwise the
    source checkout this package was installed from (plugins/councilbench/..).
    """
    env = os.environ.get("COUNCILBENCH_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[3]


def state_dir() -> Path:
    path = Path(os.environ.get("COUNCILBENCH_STATE_DIR") or project_root() / ".state")
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path(*parts: str) -> Path:
    """A folder under the state folder, created on first use."""
    path = state_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def dags_dir() -> Path:
    return project_root() / "dags"


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def expectations_dir() -> Path:
    return project_root() / "expectations"


def seeds_dir() -> Path:
    return dbt_project_dir() / "seeds"


@contextlib.contextmanager
def environ(values: dict[str, str], *, unset: tuple[str, ...] = ()) -> Iterator[None]:
    """os.environ with `values` set and `unset` removed, as it was again afterwards."""
    previous = {key: os.environ.get(key) for key in (*values, *unset)}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
