"""The README keeps up with the code: every environment variable the code reads is in its
table, the Python versions are pyproject.toml's, and the docs page is where it is written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
NAME = re.compile(r"\bCOUNCILBENCH_[A-Z0-9_]*[A-Z0-9]\b")
GENERATED = {"target", "logs", "dbt_packages", "__pycache__"}


def sources() -> list[Path]:
    """Where settings are read: the package, the DAGs, dbt's profile and models, the
    Makefile and the Docker files."""
    found = [
        *(REPO / "plugins" / "councilbench").rglob("*.py"),
        *(REPO / "dags").glob("*.py"),
        *(REPO / "dbt_project").rglob("*.yml"),
        *(REPO / "dbt_project").rglob("*.sql"),
        *(p for p in (REPO / "docker").rglob("*") if p.is_file()),
        REPO / "Makefile",
        REPO / "docker-compose.yml",
    ]
    return [p for p in found if not GENERATED & set(p.relative_to(REPO).parts)]


def environment_table() -> str:
    section = README.split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def test_every_environment_variable_the_code_reads_is_in_the_readme_table():
    from councilbench.core import settings

    names = {name for path in sources() for name in NAME.findall(path.read_text(errors="replace"))}
    assert {"COUNCILBENCH_SMTP_HOST", "COUNCILBENCH_STATE_DIR", "COUNCILBENCH_DBT_ROLE"} <= names  # the grep works
    names |= {"WAREHOUSE_URL", *(f"WAREHOUSE_{role.upper()}_URL" for role in settings.ROLES)}
    table = environment_table()
    assert sorted(name for name in names if f"`{name}`" not in table) == []


def test_readme_gives_the_python_versions_of_pyproject():
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f'`requires-python = "{spec}"`' in README


def test_readme_names_the_docs_page_where_it_is_written(state_dir):
    from councilbench.warehouse.build import docs_page

    assert f"`.state/{docs_page().relative_to(state_dir).as_posix()}`" in README
    assert ".state/dbt/target`" not in README.split("## The warehouse for analysts", 1)[1].split("\n## ", 1)[0]
