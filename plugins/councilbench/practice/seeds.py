"""The case studies compiled into dbt seeds: three tables the warehouse loads with the other
reference data (dbt_project/seeds/, documented and tested in seeds.yml).

- case_studies.csv: one row per case study;
- case_study_metrics.csv: one row per case study and metric id it bears on;
- case_study_outcomes.csv: one row per outcome, in the file's order (1 is the headline).

The seeds are committed beside the files they come from, so a warehouse needs no YAML;
``stale_seeds`` says which committed seed differs from what the files compile to, and CI
fails on it (tests/practice).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from councilbench.core import settings
from councilbench.practice import checks
from councilbench.practice.case_study import CaseStudy

#: Each seed's columns, in order.
COLUMNS = {
    "case_studies": (
        "case_study_id",
        "council_code",
        "title",
        "summary",
        "contact_role",
        "link",
        "is_sample",
        "reviewed_by",
        "reviewed_on",
    ),
    "case_study_metrics": ("case_study_id", "metric_id"),
    "case_study_outcomes": (
        "case_study_id",
        "outcome_order",
        "measure",
        "unit",
        "before_value",
        "before_date",
        "after_value",
        "after_date",
    ),
}


def rows(studies: list[CaseStudy]) -> dict[str, list[tuple]]:
    """Each seed's rows, ordered by case study id (then as the file lists them)."""
    ordered = sorted(studies, key=lambda s: s.case_study_id)
    return {
        "case_studies": [
            (
                s.case_study_id,
                s.council_code,
                s.title,
                s.summary,
                s.contact_role,
                s.link,
                "true" if s.is_sample else "false",
                s.reviewed_by,
                s.reviewed_on.isoformat(),
            )
            for s in ordered
        ],
        "case_study_metrics": [(s.case_study_id, m) for s in ordered for m in s.metric_ids],
        "case_study_outcomes": [
            (
                s.case_study_id,
                i,
                o.measure,
                o.unit,
                _number(o.before_value),
                o.before_date.isoformat(),
                _number(o.after_value),
                o.after_date.isoformat(),
            )
            for s in ordered
            for i, o in enumerate(s.outcomes, start=1)
        ],
    }


def _number(value: float) -> str:
    """A value as the file wrote it: 100000 stays 100000, 3.5 stays 3.5."""
    return str(value) if isinstance(value, int) else repr(float(value))


def compile_text(studies: list[CaseStudy]) -> dict[str, str]:
    """Each seed's CSV text (header row, \\n line ends, quotes only where needed)."""
    out = {}
    for name, table in rows(studies).items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS[name])
        writer.writerows(table)
        out[name] = buffer.getvalue()
    return out


def seed_path(name: str, seeds_dir: Path | None = None) -> Path:
    return (seeds_dir or settings.seeds_dir()) / f"{name}.csv"


def stale_seeds(studies: list[CaseStudy], seeds_dir: Path | None = None) -> list[str]:
    """The seeds whose committed file is missing or differs from what the case studies compile to."""
    stale = []
    for name, text in compile_text(studies).items():
        path = seed_path(name, seeds_dir)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


@dataclass(frozen=True)
class Built:
    case_studies: int
    seeds: dict[str, int]  # seed name -> rows
    written: list[str]  # the seeds whose file changed


def build(folder: Path | None = None, seeds_dir: Path | None = None) -> Built:
    """Check every case study file and, when all pass, write the seeds that changed.
    Raises checks.CaseStudiesInvalid (nothing written) when a file is wrong."""
    studies, problems = checks.check_folder(folder)
    if problems:
        raise checks.CaseStudiesInvalid(problems)
    written = stale_seeds(studies, seeds_dir)
    texts = compile_text(studies)
    for name in written:
        seed_path(name, seeds_dir).write_text(texts[name], encoding="utf-8")
    return Built(len(studies), {name: len(table) for name, table in rows(studies).items()}, written)
