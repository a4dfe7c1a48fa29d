"""The layers stay as drawn: the import-linter contracts of pyproject.toml (the layer order,
and production code never importing councilbench.dev) hold for the package, and they
would catch an import that breaks them. `make lint` runs the same contracts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract_names() -> list[str]:
    return [c["name"] for c in tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]]


def lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PYPROJECT), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_keeps_every_import_contract():
    result = lint_imports(REPO)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert len(contract_names()) >= 2
    for name in contract_names():
        assert f"{name} KEPT" in report, report


@pytest.mark.parametrize(
    ("module", "imported", "broken"),
    [
        ("core", "councilbench.dev", "Production code never imports dev"),
        ("core", "councilbench.warehouse", "Layers"),
        ("ingest", "councilbench.returns", "Layers"),
    ],
)
def test_the_contracts_catch_an_import_that_breaks_them(tmp_path, module, imported, broken):
    """A copy of the package with one forbidden import added fails lint-imports: the
    contracts are not vacuous. The copy comes first on PYTHONPATH, ahead of the
    editable install."""
    package = tmp_path / "plugins" / "councilbench"
    shutil.copytree(REPO / "plugins" / "councilbench", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / module / "_probe.py").write_text(f"import {imported}  # noqa: F401\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "plugins")}

    result = lint_imports(tmp_path, env)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert f"{broken} BROKEN" in report, report
    assert f"councilbench.{module}._probe -> {imported}" in report, report
