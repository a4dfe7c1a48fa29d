"""A case study as the marts use it: built from a file's YAML once checks.py has found
nothing wrong with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Outcome:
    """A figure before and after, in its unit (%, £..., or words)."""

    measure: str
    unit: str
    before_value: float
    before_date: date
    after_value: float
    after_date: date


@dataclass(frozen=True)
class CaseStudy:
    case_study_id: str
    council_code: str
    title: str
    summary: str
    metric_ids: tuple[str, ...]
    outcomes: tuple[Outcome, ...]  # the first is the headline
    contact_role: str
    link: str
    is_sample: bool
    reviewed_by: str
    reviewed_on: date

    @classmethod
    def from_document(cls, doc: dict) -> CaseStudy:
        """The case study a checked file holds (dates as written, YYYY-MM-DD)."""
        return cls(
            case_study_id=doc["id"],
            council_code=doc["council"],
            title=_text(doc["title"]),
            summary=_text(doc["summary"]),
            metric_ids=tuple(doc["metrics"]),
            outcomes=tuple(
                Outcome(
                    measure=_text(o["measure"]),
                    unit=o["unit"].strip(),
                    before_value=o["before"]["value"],
                    before_date=date.fromisoformat(o["before"]["date"]),
                    after_value=o["after"]["value"],
                    after_date=date.fromisoformat(o["after"]["date"]),
                )
                for o in doc["outcomes"]
            ),
            contact_role=_text(doc["contact_role"]),
            link=doc["link"].strip(),
            is_sample=bool(doc.get("sample", False)),
            reviewed_by=_text(doc["reviewed_by"]),
            reviewed_on=date.fromisoformat(doc["reviewed_on"]),
        )


def _text(value: str) -> str:
    """Folded YAML text on one line: a summary written over several lines reads as one."""
    return " ".join(value.split())
