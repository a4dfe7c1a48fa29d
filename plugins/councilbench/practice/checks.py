"""What is wrong with a case study file, in plain words naming the file and the field: first
the schema (case_studies/schema.json: fields, types, forms), then what a schema cannot
know: the council is a member in the registry, each metric id is in the catalogue, every
date is a real date, each outcome's after date is later than its before date, the id is
the file's name and no two files share one.

    studies, problems = check_folder()
    for p in problems:
        print(p)   # case_studies/x.yml: outcomes #1 after.date: 2019-01-01 is not later than ...
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jsonschema import Draft202012Validator, ValidationError

from councilbench.core import catalogue
from councilbench.practice import files
from councilbench.practice.case_study import CaseStudy

REGISTRY = "dbt_project/seeds/council_registry.csv"
CATALOGUE = "dbt_project/seeds/metric_catalogue.csv"

#: JSON types in words.
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of fields",
    "null": "empty",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: the file, the field ('' for the whole file), what."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}" if self.field else f"{self.file}: {self.message}"


class CaseStudiesInvalid(ValueError):
    """At least one case study file is wrong; nothing was compiled."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the case study files:\n" + "\n".join(f"  {p}" for p in problems)
        )


def check_folder(where: Path | None = None) -> tuple[list[CaseStudy], list[Problem]]:
    """Every case study of the folder that passes, by id, and the problems of those that do not."""
    where = where or files.folder()
    schema = files.schema(where)
    studies, problems = [], []
    for path in files.misnamed(where):
        problems.append(Problem(f"{where.name}/{path.name}", "", f"is not read: name it {path.stem}{files.SUFFIX}"))
    found_files = files.read_folder(where)
    # an id belongs to the file named after it, else to the first file giving it
    owners = {_id(f): f.name for f in found_files if _id(f) == f.path.stem}
    for found in found_files:
        found_problems = check_file(found, schema)
        doc_id = _id(found)
        if doc_id is not None and owners.setdefault(doc_id, found.name) != found.name:
            found_problems.append(Problem(found.name, "id", f"'{doc_id}' is also the id of {owners[doc_id]}"))
        problems.extend(found_problems)
        if not found_problems:
            studies.append(CaseStudy.from_document(found.document))
    return sorted(studies, key=lambda s: s.case_study_id), problems


def _id(found: files.CaseStudyFile) -> str | None:
    doc_id = found.document.get("id") if isinstance(found.document, dict) else None
    return doc_id if isinstance(doc_id, str) else None


def check_file(found: files.CaseStudyFile, schema: dict) -> list[Problem]:
    """The file's problems: unreadable, then the schema's, then the cross-references (only
    once the schema passes, so one mistake is reported once)."""
    if found.error:
        return [Problem(found.name, "", found.error)]
    if not isinstance(found.document, dict):
        return [Problem(found.name, "", "holds no case study: expected fields such as id, council, title and summary")]
    problems = [Problem(found.name, *issue) for issue in schema_issues(found.document, schema)]
    if problems:
        return problems
    return [Problem(found.name, *issue) for issue in reference_issues(found.document, found.path.stem)]


# --- the schema ----------------------------------------------------------------------------------


def schema_issues(doc: dict, schema: dict) -> list[tuple[str, str]]:
    """(field, message) for each way the document breaks the schema, in the file's order."""
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [_plain(error, schema) for error in errors]


def _plain(error: ValidationError, schema: dict) -> tuple[str, str]:
    path = list(error.absolute_path)
    value, kind = error.instance, error.validator
    if kind == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        path = path + [missing]
        return field_name(path), f"is missing. {_description(schema, path)}"
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        extra = ", ".join(f"'{k}'" for k in error.instance if k not in allowed)
        return field_name(
            path
        ) or "the file", f"has field(s) the schema does not know: {extra}. Allowed: {', '.join(allowed)}"
    hint = _description(schema, path)
    if kind == "type":
        return field_name(
            path
        ), f"should be {_TYPE_WORDS.get(error.validator_value, error.validator_value)}, not {_shown(value)}. {hint}"
    if kind == "pattern":
        return field_name(path), f"{_shown(value)} is not in the expected form. {hint}"
    if kind == "minLength":
        return field_name(path), f"is too short ({len(value)} characters, at least {error.validator_value}). {hint}"
    if kind == "maxLength":
        return field_name(path), f"is too long ({len(value)} characters, at most {error.validator_value}). {hint}"
    if kind == "minItems":
        return field_name(path), f"is an empty list. {hint}"
    if kind == "uniqueItems":
        repeated = sorted({str(v) for v in value if value.count(v) > 1})
        return field_name(path), f"lists {', '.join(repeated)} more than once. {hint}"
    return field_name(path), f"{error.message}. {hint}"


def field_name(path: Iterable) -> str:
    """outcomes #2 after.date: list items counted from 1, as people count them."""
    out, after_item = "", False
    for part in path:
        if isinstance(part, int):
            out += f" #{part + 1}"
        elif out:
            out += (" " if after_item else ".") + str(part)
        else:
            out = str(part)
        after_item = isinstance(part, int)
    return out


def _description(schema: dict, path: list) -> str:
    """What the schema says about the field at `path` (a list item: its list's description)."""
    node, said = schema, schema.get("description", "")
    for part in path:
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {}).get(part, {})
        if "$ref" in node:  # an outcome, a dated value: its definition, with what the reference adds
            node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **node}
        said = node.get("description", said)
    return said


def _shown(value) -> str:
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:60]}…'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "empty"
    if isinstance(value, list | dict):
        return _TYPE_WORDS["array" if isinstance(value, list) else "object"]
    return str(value)


# --- what the schema cannot know ----------------------------------------------------------------------


def reference_issues(doc: dict, file_stem: str) -> list[tuple[str, str]]:
    """(field, message) for what the schema cannot check, given a document that passes it."""
    issues = []
    if doc["id"] != file_stem:
        issues.append(("id", f"'{doc['id']}' is not the file's name: name the file {doc['id']}{files.SUFFIX}"))
    council = catalogue.councils().get(doc["council"])
    if council is None:
        issues.append(("council", f"'{doc['council']}' is not a member council's GSS code in {REGISTRY}"))
    metrics = catalogue.metrics()
    for i, metric_id in enumerate(doc["metrics"]):
        if metric_id not in metrics:
            close = difflib.get_close_matches(metric_id, metrics, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            issues.append((field_name(["metrics", i]), f"'{metric_id}' is not a metric id in {CATALOGUE}{hint}"))
    issues += _date_issue(["reviewed_on"], doc["reviewed_on"])
    for i, outcome in enumerate(doc["outcomes"]):
        before = _date_issue(["outcomes", i, "before", "date"], outcome["before"]["date"])
        after = _date_issue(["outcomes", i, "after", "date"], outcome["after"]["date"])
        issues += before + after
        if not before and not after and outcome["after"]["date"] <= outcome["before"]["date"]:
            issues.append(
                (
                    field_name(["outcomes", i, "after", "date"]),
                    f"{outcome['after']['date']} is not later than the before date {outcome['before']['date']}: "
                    "the after figure must be measured after the before figure",
                )
            )
    return issues


def _date_issue(path: list, text: str) -> list[tuple[str, str]]:
    try:
        date.fromisoformat(text)
    except ValueError:
        return [(field_name(path), f"'{text}' is not a date in the calendar (written YYYY-MM-DD)")]
    return []
