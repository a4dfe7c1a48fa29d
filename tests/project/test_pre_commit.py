"""The contributors' pre-commit hooks are `make lint`'s checks: the config is valid, every hook
runs a tool of the project's virtualenv (nothing fetched when the hooks are installed), and
every tool `make lint` runs has a hook."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".pre-commit-config.yaml"
VENV_BIN = Path(sys.executable).parent


def hooks() -> list[dict]:
    repos = yaml.safe_load(CONFIG.read_text())["repos"]
    return [hook for repo in repos for hook in repo["hooks"]]


def command(words: list[str]) -> tuple[str, ...]:
    """A check as tool and subcommand: `.venv/bin/ruff check --force-exclude` is (ruff, check)."""
    tool, *rest = words
    return (Path(tool).name, *rest[:1]) if rest and not rest[0].startswith("-") else (Path(tool).name,)


def make_lint_commands() -> set[tuple[str, ...]]:
    """The checks of the Makefile's lint recipe (its loop over quoted commands)."""
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\nlint: ", 1)[1].split("\n\n", 1)[0]
    loop = re.search(r"for check in (.*?); do", recipe).group(1)
    return {command(check.split()) for check in re.findall(r'"([^"]+)"', loop)}


def test_the_config_is_valid():
    result = subprocess.run(
        [str(VENV_BIN / "pre-commit"), "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_hook_is_local_and_runs_a_tool_of_the_virtualenv():
    repos = yaml.safe_load(CONFIG.read_text())["repos"]
    assert [repo["repo"] for repo in repos] == ["local"]
    for hook in hooks():
        assert hook["language"] == "system", hook["id"]
        executable = hook["entry"].split()[0]
        assert executable.startswith(".venv/bin/"), hook["id"]
        assert (VENV_BIN / Path(executable).name).is_file(), hook["entry"]


def test_the_hooks_run_the_checks_of_make_lint():
    expected = {("ruff", "check"), ("ruff", "format"), ("sqlfluff", "lint"), ("lint-imports",)}
    assert make_lint_commands() == expected
    assert {command(hook["entry"].split()) for hook in hooks()} == expected
