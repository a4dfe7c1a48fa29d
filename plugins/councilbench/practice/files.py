"""The case study files: where they live, and each one read as YAML with its dates kept as
the text written (2021-03-31 stays a string, so the schema and the checks see what a
person typed, not a value YAML guessed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from councilbench.core import settings

FOLDER_NAME = "case_studies"
SCHEMA_FILE = "schema.json"
SUFFIX = ".yml"


def folder() -> Path:
    """case_studies/ at the project root (beside dbt_project/)."""
    return settings.project_root() / FOLDER_NAME


class _TextDates(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay text."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class CaseStudyFile:
    """One file of the folder and what its YAML holds (None when it could not be read)."""

    path: Path
    document: object
    error: str | None = None

    @property
    def name(self) -> str:
        """The file as people name it: case_studies/<file name>."""
        return f"{self.path.parent.name}/{self.path.name}"


def read(path: Path) -> CaseStudyFile:
    """The file's YAML, or the reason it cannot be read, in words."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return CaseStudyFile(path, None, "is not UTF-8 text: save it as UTF-8")
    try:
        return CaseStudyFile(path, yaml.load(text, Loader=_TextDates))  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return CaseStudyFile(path, None, f"is not valid YAML{where}: {exc.problem}")
    except yaml.YAMLError as exc:
        return CaseStudyFile(path, None, f"is not valid YAML: {exc}")


def read_folder(where: Path | None = None) -> list[CaseStudyFile]:
    """Every .yml file of the folder, by name."""
    return [read(path) for path in sorted((where or folder()).glob(f"*{SUFFIX}"))]


def misnamed(where: Path | None = None) -> list[Path]:
    """Files that look like case studies but would be skipped (.yaml, upper-case .YML)."""
    return sorted(
        p for p in (where or folder()).iterdir() if p.suffix.lower() in (".yml", ".yaml") and p.suffix != SUFFIX
    )


@lru_cache(maxsize=4)
def _schema(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def schema(where: Path | None = None) -> dict:
    """The JSON Schema of a case study file (case_studies/schema.json)."""
    return _schema((where or folder()) / SCHEMA_FILE)
