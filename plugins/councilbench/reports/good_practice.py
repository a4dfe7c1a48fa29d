"""The good practice behind the figures: the region's reviewed case studies
(marts.mart_case_studies, one row per case study and metric it bears on), shown in a
council's pack beside a metric where it is in the bottom quartile or getting worse, and
listed by service area in the annual report.
"""

from __future__ import annotations

from dataclasses import dataclass

from councilbench.reports import format as fmt


@dataclass
class CaseStudy:
    case_study_id: str
    title: str
    council_code: str
    council_name: str
    summary: str
    outcome: str  # the headline outcome: '3.5 -> 10.7 defects per gang per day'
    outcomes: str  # every outcome with its dates
    link: str | None
    contact_role: str | None
    is_sample: bool  # written for the demo, not a verified record
    metric_ids: list[str]


def _arrows(text: str | None) -> str:
    """'3.5 -> 10.7' as '3.5 → 10.7'."""
    return (text or "").replace(" -> ", " → ")


def case_study(r: dict) -> CaseStudy:
    return CaseStudy(
        case_study_id=r["case_study_id"],
        title=r["title"],
        council_code=r["council_code"],
        council_name=fmt.display_name(r["council_name"]),
        summary=r["summary"] or "",
        outcome=_arrows(r["headline_outcome"]),
        outcomes=_arrows(r["outcomes_text"]),
        link=r["link"],
        contact_role=r["contact_role"],
        is_sample=bool(r["is_sample"]),
        metric_ids=[r["metric_id"]],
    )


def case_studies(rows: list[dict], *, not_by: str | None = None) -> list[CaseStudy]:
    """One per case study (the mart has a row per case study and metric), its metrics
    together; `not_by`: leave out a council's own (it is not told to read its own story)."""
    out: dict[str, CaseStudy] = {}
    for r in rows:
        if r["council_code"] == not_by:
            continue
        cs = out.get(r["case_study_id"])
        if cs is None:
            out[r["case_study_id"]] = case_study(r)
        elif r["metric_id"] not in cs.metric_ids:
            cs.metric_ids.append(r["metric_id"])
    return list(out.values())


def case_studies_by_area(rows: list[dict], metrics: dict) -> list[dict]:
    """The annual report's Good practice section: the case studies under the service area of
    the metrics they bear on (a case study on metrics of two areas is under both), each with
    its metrics' names."""
    areas: dict[str, list[dict]] = {}
    for cs in case_studies(rows):
        by_area: dict[str, list[str]] = {}
        for metric_id in cs.metric_ids:
            m = metrics[metric_id]
            by_area.setdefault(m.service_area, []).append(m.metric_name)
        for area, names in by_area.items():
            areas.setdefault(area, []).append({"case_study": cs, "metric_names": names})
    return [
        {
            "area": area,
            "title": fmt.service_area_label(area),
            "anchor": f"good-practice-{area}",
            "items": sorted(items, key=lambda i: (i["case_study"].council_name, i["case_study"].title)),
        }
        for area, items in sorted(areas.items(), key=lambda kv: fmt.service_area_rank(kv[0]))
    ]
